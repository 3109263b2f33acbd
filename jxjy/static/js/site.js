// Site-wide behaviour: captcha refresh, 获取验证码 with a countdown, confirmations.
// Every page works without this script; it only makes the common steps smoother.

function csrfToken(form) {
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function applyCaptcha(root, captcha) {
  if (!captcha) return;
  root.querySelectorAll("input[name=captcha_0]").forEach((el) => { el.value = captcha.key; });
  root.querySelectorAll(".captcha-img img").forEach((img) => { img.src = captcha.image_url; });
  root.querySelectorAll("input[name=captcha_1]").forEach((el) => { el.value = ""; });
}

async function refreshCaptcha(button) {
  const form = button.closest("form") || document;
  const response = await fetch("/captcha/refresh/", { headers: { "X-Requested-With": "XMLHttpRequest" } });
  if (response.ok) applyCaptcha(form, await response.json());
}

function countdown(button, seconds) {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  button.disabled = true;
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.textContent = `${left} 秒后重新获取`;
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
}

async function sendCode(button) {
  const form = button.closest("form");
  const status = form.querySelector(".send-status");
  const body = new FormData();
  body.append("purpose", button.dataset.purpose);
  for (const name of ["mobile", "captcha_0", "captcha_1"]) {
    const field = form.querySelector(`[name=${name}]`);
    body.append(name, field ? field.value : "");
  }
  status.className = "send-status";
  status.textContent = "正在发送…";
  let data;
  try {
    const response = await fetch(button.dataset.url, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "XMLHttpRequest" },
      credentials: "same-origin",
    });
    data = await response.json();
  } catch (error) {
    status.className = "send-status error";
    status.textContent = "网络不稳定，发送失败，请稍后再试。";
    return;
  }
  applyCaptcha(form, data.captcha);
  if (data.ok) {
    status.className = "send-status ok";
    status.textContent = data.message;
    countdown(button, 60);
    const code = form.querySelector("[name=sms_code]");
    if (code) code.focus();
  } else {
    const errors = data.errors || {};
    const text = Object.values(errors).flat().join(" ") || data.message || "发送失败，请稍后再试。";
    status.className = "send-status error";
    status.textContent = text;
  }
}

document.addEventListener("click", (event) => {
  const refresh = event.target.closest("[data-captcha-refresh]");
  if (refresh) {
    event.preventDefault();
    refreshCaptcha(refresh);
    return;
  }
  const send = event.target.closest("[data-send-code]");
  if (send) {
    event.preventDefault();
    sendCode(send);
    return;
  }
  const confirmButton = event.target.closest("[data-confirm]");
  if (confirmButton && !window.confirm(confirmButton.dataset.confirm)) {
    event.preventDefault();
  }
});

// Close the "Hi~" menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  }
});

// On a desktop the "Hi~" menu also opens on hover, as the manual describes.
if (window.matchMedia("(hover: hover)").matches) {
  document.querySelectorAll("details.user-menu").forEach((menu) => {
    menu.addEventListener("mouseenter", () => menu.setAttribute("open", ""));
    menu.addEventListener("mouseleave", () => menu.removeAttribute("open"));
    // Hovering already opened it: a click on "Hi~" must not toggle it shut again.
    menu.querySelector("summary").addEventListener("click", (event) => {
      if (menu.open && event.detail > 0) event.preventDefault();
    });
  });
}
