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

// 大字模式 without a page reload: typed input and a playing video stay as they are. The form still posts
// normally (and is redirected back) when this script does not run or the request fails.
async function toggleLargeText(form) {
  const button = form.querySelector("button[type=submit]");
  let data;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "XMLHttpRequest" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    data = await response.json();
  } catch (error) {
    form.submit();
    return;
  }
  document.documentElement.classList.toggle("a11y", data.a11y);
  button.setAttribute("aria-pressed", data.a11y ? "true" : "false");
  button.textContent = data.label;
  window.dispatchEvent(new CustomEvent("a11ychange", { detail: { on: data.a11y } }));
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("[data-a11y-toggle]")) {
    event.preventDefault();
    toggleLargeText(form);
  }
});

// 显示密码 / 隐藏密码 beside every password field, so a typo can be seen before it is sent.
function addPasswordToggle(input) {
  if (input.dataset.peek) return;
  input.dataset.peek = "1";
  const row = document.createElement("div");
  row.className = "password-row";
  input.replaceWith(row);
  row.append(input);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-secondary password-peek";
  button.setAttribute("aria-pressed", "false");
  if (input.id) button.setAttribute("aria-controls", input.id);
  button.textContent = "显示密码";
  button.addEventListener("click", () => {
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", show ? "true" : "false");
    button.textContent = show ? "隐藏密码" : "显示密码";
  });
  row.append(button);
}
document.querySelectorAll("input[type=password]").forEach(addPasswordToggle);

// 正在提交…: once a form is sent, its button says so and a second tap does nothing. Forms that a page's own
// script handles (it calls preventDefault), forms marked data-no-busy and forms that open a new window or only
// download a file are left alone.
const BUSY_LABEL = "正在提交…";

function setBusy(button) {
  if (!button || button.dataset.busyLabel !== undefined) return;
  const isInput = button.tagName === "INPUT";
  button.dataset.busyLabel = isInput ? button.value : button.textContent;
  if (isInput) button.value = BUSY_LABEL;
  else button.textContent = BUSY_LABEL;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
}

function clearBusy(root) {
  root.querySelectorAll("form[data-busy]").forEach((form) => delete form.dataset.busy);
  root.querySelectorAll("[data-busy-label]").forEach((button) => {
    if (button.tagName === "INPUT") button.value = button.dataset.busyLabel;
    else button.textContent = button.dataset.busyLabel;
    delete button.dataset.busyLabel;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  });
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.matches("[data-no-busy]")) return;
  const submitter = event.submitter;
  const target = (submitter && submitter.getAttribute("formtarget")) || form.target;
  if (target === "_blank" || (submitter && submitter.matches("[data-no-busy]"))) return;
  if (form.dataset.busy) {
    event.preventDefault(); // a double tap: the first request is already on its way
    return;
  }
  form.dataset.busy = "1";
  const button = submitter || form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
  // Disabled only after this event: a disabled button's name=value would be left out of the request.
  setTimeout(() => setBusy(button), 0);
  // A reply that is a download leaves the page where it was: give the button back after a while.
  setTimeout(() => clearBusy(form), 15000);
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) clearBusy(document);
});
