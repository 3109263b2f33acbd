// The exam paper. Every answer is saved as it is given; one that cannot be saved yet (no network, the server
// busy) waits in a queue kept in this tab (sessionStorage, per attempt: a reload keeps it, closing the tab ends
// it, so a shared computer keeps no answers) and is retried. When the countdown reaches zero the page first sends
// its queued answers, then hands the paper in (交卷), and shows the result only once they are saved: the server
// keeps the attempt open for a short grace after the deadline (EXAM_GRACE_SECONDS) for exactly this, and closes
// it itself when no page does.
const root = document.querySelector("[data-exam]");
const paper = root.querySelector("[data-paper]");
const statusEl = root.querySelector("[data-save-status]");
const countdownEl = root.querySelector("[data-countdown]");
const csrf = paper.querySelector("input[name=csrfmiddlewaretoken]").value;
const storeKey = `jxjy-exam-queue-${root.dataset.attempt}`;
const RETRY_MS = 3000;

const pending = new Map(); // question id -> letters, the newest not yet saved (mirrored in sessionStorage)
let saving = false;
let finishing = false; // time is up: send what is queued, then hand the paper in
let handingIn = false;
let stopped = false; // signed out or the page expired: nothing more is sent from this page
let wake = null; // ends a retry wait early (time up, network back)

function say(text, link) {
  statusEl.textContent = text;
  if (link) {
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    statusEl.append(" ", a);
  }
}

function store() {
  try {
    if (pending.size) sessionStorage.setItem(storeKey, JSON.stringify(Object.fromEntries(pending)));
    else sessionStorage.removeItem(storeKey);
  } catch (error) {
    // Private browsing or a full storage: the queue in the page is still retried.
  }
}

function restore() {
  let stored = {};
  try {
    stored = JSON.parse(sessionStorage.getItem(storeKey) || "{}") || {};
  } catch (error) {
    stored = {};
  }
  for (const [questionId, letters] of Object.entries(stored)) {
    const fieldset = paper.querySelector(`[data-question="${CSS.escape(questionId)}"]`);
    if (!fieldset || !Array.isArray(letters)) continue;
    for (const input of fieldset.querySelectorAll("input")) input.checked = letters.includes(input.value);
    pending.set(questionId, letters);
  }
  store();
}

function pause(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  }).finally(() => {
    wake = null;
  });
}

async function send(url, body) {
  try {
    return await fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch (error) {
    return null; // the network is down
  }
}

function lettersOf(questionId) {
  return [...paper.querySelectorAll(`input[name="q${questionId}"]:checked`)].map((input) => input.value);
}

function signedOut() {
  stopped = true;
  say("您已退出登录，已保存的答案不会丢失。请重新登录后继续考试。", {
    href: root.dataset.loginUrl,
    text: "重新登录",
  });
}

function expired() {
  stopped = true;
  say("页面已过期，请刷新页面。还没保存的答案暂存在本机，刷新后会自动保存。");
}

function timeUp(message) {
  // 409: the time and its grace are over, or the paper was handed in (another tab): nothing more is taken.
  stopped = true;
  pending.clear();
  store();
  say(`${message || "考试时间已到。"}正在打开考试结果…`);
  setTimeout(() => window.location.assign(root.dataset.resultUrl), 2000);
}

async function saveAll() {
  if (saving || stopped) return;
  saving = true;
  while (pending.size && !stopped) {
    const [questionId, letters] = pending.entries().next().value;
    const body = new URLSearchParams({ csrfmiddlewaretoken: csrf, question: questionId });
    for (const letter of letters) body.append("answer", letter);
    const response = await send(root.dataset.answerUrl, body);
    if (!response || response.status >= 500) {
      say("网络不稳定，正在重新保存…（答案已暂存在本机，请不要关闭页面）");
      await pause(RETRY_MS);
      continue;
    }
    const reply = await response.json().catch(() => ({}));
    if (response.status === 401) {
      signedOut();
      break;
    }
    if (response.status === 403) {
      expired();
      break;
    }
    if (response.status === 409) {
      timeUp(reply.error);
      break;
    }
    if (pending.get(questionId) === letters) pending.delete(questionId); // unless changed meanwhile
    store();
    if (response.ok) {
      say(`已保存（${new Date().toLocaleTimeString("zh-CN", { hour12: false })}）`);
    } else {
      say(reply.error || "这道题的答案没有保存成功，请重新选择。"); // 400 / 404: that answer alone is refused
    }
  }
  saving = false;
  if (finishing && !pending.size && !stopped) handIn();
}

async function handIn() {
  if (handingIn) return;
  handingIn = true;
  say("考试时间到，答案已保存，正在交卷…");
  while (!stopped) {
    const body = new URLSearchParams({ csrfmiddlewaretoken: csrf, reason: "time_up" });
    const response = await send(root.dataset.submitUrl, body);
    if (!response || response.status >= 500) {
      say("网络不稳定，正在重新交卷…（答案已保存，请不要关闭页面）");
      await pause(RETRY_MS);
      continue;
    }
    const reply = await response.json().catch(() => ({}));
    if (response.status === 401) return signedOut();
    if (response.status === 403) return expired();
    if (response.ok && reply.result) {
      window.location.assign(reply.result);
      return;
    }
    say(reply.error || "交卷没有成功，请刷新页面。");
    return;
  }
}

function finish() {
  if (finishing) return;
  finishing = true;
  for (const input of paper.querySelectorAll("input[type=radio], input[type=checkbox], button")) input.disabled = true;
  if (stopped) return;
  if (pending.size) {
    say("考试时间到，正在保存最后的答案…");
    if (wake) wake(); // a retry was waiting: send now
    saveAll();
  } else if (!saving) {
    handIn();
  } // else: the answer in flight is the last; saveAll hands in after it
}

paper.addEventListener("change", (event) => {
  const fieldset = event.target.closest("[data-question]");
  if (!fieldset || finishing || stopped) return;
  pending.set(fieldset.dataset.question, lettersOf(fieldset.dataset.question));
  store();
  say("正在保存…");
  saveAll();
});

window.addEventListener("online", () => {
  if (wake) wake();
});

// The countdown shows the server's deadline; the server decides.
const deadline = Date.now() + Number(root.dataset.remainingMs ?? Number(root.dataset.remaining) * 1000);
function tick() {
  const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000)); // 0:00 only when the time is up
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, "0");
  const text = `${minutes}:${seconds}`;
  if (countdownEl.textContent !== text) countdownEl.textContent = text;
  countdownEl.classList.toggle("urgent", left <= 300);
  if (left <= 0) {
    clearInterval(timer);
    finish();
  }
}
const timer = setInterval(tick, 250); // a quarter second: zero is seen on time
document.addEventListener("visibilitychange", tick); // a hidden tab's timer is slowed; catch up on return

restore();
if (pending.size) {
  say("正在保存上次没有保存的答案…");
  saveAll();
}
tick();
