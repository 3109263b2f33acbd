// 新手引导: a step-by-step overlay over the class pages (progress, 去选课, 播放, 考试). Shown on the first
// visit (remembered in this browser), and again whenever the 新手引导 button is pressed.
const KEY = "jxjy-tour-seen";
const overlay = document.querySelector(".tour");
const body = overlay?.querySelector("[data-tour-body]");
let steps = [];
let index = 0;

function clear() {
  document.querySelectorAll(".tour-target").forEach((el) => el.classList.remove("tour-target"));
}

function show() {
  clear();
  const step = steps[index];
  step.classList.add("tour-target");
  step.scrollIntoView({ block: "center", behavior: "smooth" });
  body.textContent = step.dataset.tourText;
  overlay.querySelector("[data-tour-next]").textContent = index === steps.length - 1 ? "我知道了" : "下一步";
  overlay.hidden = false;
  overlay.querySelector("[data-tour-next]").focus();
}

function close() {
  clear();
  overlay.hidden = true;
  localStorage.setItem(KEY, "1");
}

function open() {
  const order = ["progress", "select", "play", "exam"];
  steps = order.map((name) => document.querySelector(`[data-tour="${name}"]`)).filter(Boolean);
  index = 0;
  if (steps.length) show();
}

if (overlay) {
  overlay.querySelector("[data-tour-next]").addEventListener("click", () => {
    index += 1;
    if (index >= steps.length) close();
    else show();
  });
  overlay.querySelector("[data-tour-skip]").addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !overlay.hidden) close();
  });
  document.querySelectorAll("[data-tour-open]").forEach((button) => button.addEventListener("click", open));
  if (!localStorage.getItem(KEY)) open();
}

// 切换班级: choosing a class in the drop-down goes there.
document.querySelectorAll("[data-switch-class] select").forEach((select) => {
  select.addEventListener("change", () => window.location.assign(select.value));
});
