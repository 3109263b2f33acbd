// The exam paper: every answer is saved as it is given (retried while the network is down, so nothing is
// lost), and a countdown to the server's deadline; when it reaches zero the page reloads and the server,
// which owns the clock, has submitted the saved answers.
const root = document.querySelector("[data-exam]");
const paper = root.querySelector("[data-paper]");
const statusEl = root.querySelector("[data-save-status]");
const countdownEl = root.querySelector("[data-countdown]");
const csrf = paper.querySelector("input[name=csrfmiddlewaretoken]").value;
const pending = new Map(); // question id -> letters, the newest not yet saved
let saving = false;

function say(text) {
  statusEl.textContent = text;
}

function lettersOf(questionId) {
  return [...paper.querySelectorAll(`input[name="q${questionId}"]:checked`)].map((input) => input.value);
}

async function saveAll() {
  if (saving) return;
  saving = true;
  while (pending.size) {
    const [questionId, letters] = pending.entries().next().value;
    const body = new URLSearchParams({ csrfmiddlewaretoken: csrf, question: questionId });
    for (const letter of letters) body.append("answer", letter);
    let response;
    try {
      response = await fetch(root.dataset.answerUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      say("网络不稳定，答案将在恢复后自动保存，请勿关闭页面。");
      await new Promise((resolve) => setTimeout(resolve, 3000));
      continue;
    }
    if (response.status >= 500) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      continue;
    }
    if (pending.get(questionId) === letters) pending.delete(questionId);
    if (response.status === 409) {
      window.location.reload(); // time is up or the paper was submitted (another tab)
      return;
    }
    if (!response.ok) {
      const reply = await response.json().catch(() => ({}));
      say(reply.error || "保存失败，请刷新页面。");
      break;
    }
    say(`已保存（${new Date().toLocaleTimeString("zh-CN", { hour12: false })}）`);
  }
  saving = false;
}

paper.addEventListener("change", (event) => {
  const fieldset = event.target.closest("[data-question]");
  if (!fieldset) return;
  pending.set(fieldset.dataset.question, lettersOf(fieldset.dataset.question));
  say("正在保存…");
  saveAll();
});

// The countdown shows the server's deadline; the server decides.
const deadline = Date.now() + Number(root.dataset.remaining) * 1000;
function tick() {
  const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, "0");
  countdownEl.textContent = `${minutes}:${seconds}`;
  countdownEl.classList.toggle("urgent", left <= 300);
  if (left <= 0) {
    clearInterval(timer);
    say("考试时间到，系统正在交卷…");
    setTimeout(() => window.location.reload(), 1500);
  }
}
const timer = setInterval(tick, 1000);
tick();
