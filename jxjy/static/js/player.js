// The courseware player. The server judges every second of learning time; this script only reports
// what the video does (heartbeats every 15 s while playing, and on pause, end, tab hide and page close),
// keeps honest time from being lost (a failed heartbeat stays queued and is retried, in order), stops
// seeking past the furthest watched point, and shows the pop-up questions the server asks for.
//
// Every request goes through `call`, which sorts the reply, so the learner is never left stuck: signed out (401) →
// 重新登录, back to this courseware and position; another page took over (409) → 在本页继续学习; no answer or a 5xx →
// retried, saying so; anything else unexpected → a plain line saying what to do.
const root = document.querySelector("[data-player]");
const video = document.getElementById("video");
const statusEl = root.querySelector("[data-status]");
const watchedEl = root.querySelector("[data-watched]");
const quiz = root.querySelector(".quiz");
const quizForm = quiz.querySelector("form");
const quizMessage = quiz.querySelector("[data-quiz-message]");
const quizHelp = quiz.querySelector("[data-quiz-help]");
const submitButton = quiz.querySelector("[data-quiz-submit]");
const helpButton = quiz.querySelector("[data-quiz-help-ask]");
const alertBox = root.querySelector("[data-alert]");
const alertHome = alertBox.parentNode;
const alertNext = alertBox.nextSibling;
const loginLink = alertBox.querySelector("[data-alert-login]");
const takeOverButton = alertBox.querySelector("[data-alert-take-over]");
const nextStep = root.querySelector("[data-next]");
const playToggle = root.querySelector("[data-play-toggle]");
const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;

const RETRYING = "网络不稳定，正在重试…（已学的时间不会丢失）";
const SIGNED_OUT = "登录已过期，请重新登录后继续学习。";
const TAKEN_OVER = "您已在其他页面或设备上播放本课程，这里已暂停计时。";
const BROKEN = "出了点问题，请刷新页面后再试。";
const ANSWER_TRIES = 4; // an answer is sent at most this often before the learner is asked to press again
const HELP_AFTER_WRONG = 2; // 看解析 is offered from the second wrong answer on (the server checks it too)
const NOTICE_MS = 8000; // a notice about the video's position stays this long before 正在计时学习中… replaces it

let session = null;
let seq = 0;
let furthest = 0;
let duration = 0;
let gate = null; // the next unanswered checkpoint's position
let stopped = false; // superseded or signed out: no more heartbeats
let timer = null;
const queue = [];
let sending = false;
let retries = 0; // failed sends of the beat at the head of the queue
let answering = false;
let wrongAnswers = 0; // to the question on screen, in this page
let focusBeforeQuiz = null;
let noticeUntil = 0;

// 2, 4, 8 then every 15 s (the server's Retry-After): well inside the 60 s a late heartbeat may still bank.
function backoff(attempt) {
  return Math.min(2000 * 2 ** (attempt - 1), 15000);
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function say(text) {
  statusEl.textContent = text;
}

// A line the learner must get to read (a refused drag, a step back after an outage): the replies of the heartbeats
// sent with it do not replace it at once.
function notice(text) {
  say(text);
  noticeUntil = Date.now() + NOTICE_MS;
}

// URL-encoded, not multipart: sendBeacon sends it as a form too, and it is the cheapest body to parse.
function form(fields) {
  const data = new URLSearchParams();
  data.append("csrfmiddlewaretoken", csrf);
  for (const [key, value] of Object.entries(fields)) data.append(key, value);
  return data;
}

// One POST, its reply sorted: {kind: "ok" | "refused" (a 4xx with a JSON reason) | "retry" | "signed-out" |
// "taken" | "broken", status, data}. Nothing here throws.
async function call(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }, // signed out: a JSON 401, not the login page's HTML
    });
  } catch (error) {
    return { kind: "retry" }; // no answer at all: the network
  }
  // The server is busy or restarting (503 during an outage, 502 while it restarts): send again later.
  if (response.status >= 500) return { kind: "retry", status: response.status };
  if (response.status === 401) return { kind: "signed-out", status: 401 };
  if (response.status === 409) return { kind: "taken", status: 409 };
  let data = null;
  if ((response.headers.get("Content-Type") || "").includes("application/json")) {
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
  }
  if (!data || typeof data !== "object") return { kind: "broken", status: response.status };
  return { kind: response.ok ? "ok" : "refused", status: response.status, data };
}

// --- What the learner is told when timing stops --------------------------------------------------------------

function loginHref() {
  // Back to this courseware where the video stands; the page seeks there only within what the server says was
  // watched, so the position in the address can never earn anything.
  const position = Math.floor((video.currentTime || 0) * 10) / 10;
  const next = `${window.location.pathname}?t=${position}`;
  return `${root.dataset.loginUrl}?next=${encodeURIComponent(next)}`;
}

// The box goes inside an open question (which covers the page on a phone), else under the video.
function placeAlert() {
  if (!quiz.hidden) quizForm.insertBefore(alertBox, submitButton);
  else if (alertBox.parentNode !== alertHome) alertHome.insertBefore(alertBox, alertNext);
}

function showAlert(text, action) {
  placeAlert();
  alertBox.hidden = false;
  alertBox.querySelector("[data-alert-text]").textContent = text;
  loginLink.hidden = action !== "login";
  takeOverButton.hidden = action !== "take-over";
  if (action === "login") loginLink.href = loginHref();
  submitButton.hidden = true; // nothing can be sent until this is resolved
  helpButton.hidden = true;
  say(action === "login" ? "登录已过期，已暂停计时。" : "已暂停计时。");
  (action === "login" ? loginLink : takeOverButton).focus();
}

function hideAlert() {
  alertBox.hidden = true;
  submitButton.hidden = false;
}

function halt() {
  stopped = true;
  playToggle.hidden = true; // nothing to play here until the learner signs in again or takes the playback back
  clearInterval(timer);
  queue.length = 0; // beats of a playback that has ended earn nothing now
  video.pause();
}

function signedOut() {
  halt();
  showAlert(SIGNED_OUT, "login");
}

function takenOver() {
  halt();
  showAlert(TAKEN_OVER, "take-over");
}

takeOverButton.addEventListener("click", async () => {
  takeOverButton.disabled = true;
  say("正在切换到本页…");
  const position = video.currentTime;
  await start(position); // a new playback session here supersedes the other page's
  takeOverButton.disabled = false;
});

loginLink.addEventListener("click", () => {
  loginLink.href = loginHref();
});

function showNextStep() {
  nextStep.hidden = false;
}

// --- Heartbeats -----------------------------------------------------------------------------------------------

// `position`: where the video stands, unless told (a blocked drag reports where the learner tried to go).
function enqueue(playing, position = video.currentTime) {
  if (!session || stopped) return;
  seq += 1;
  queue.push({ session, seq, position: position.toFixed(2), playing: playing ? "1" : "0" });
  flush();
}

// m:ss, the way the video's own controls show a position.
function clockText(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

async function flush() {
  if (sending) return;
  sending = true;
  while (queue.length && !stopped) {
    const beat = queue[0];
    const reply = await call(root.dataset.beatUrl, form(beat));
    if (reply.kind === "retry") {
      // Keep the beat at the head of the queue and send it again, waiting longer each time.
      say(RETRYING);
      retries += 1;
      await pause(backoff(retries));
      continue;
    }
    if (retries) {
      retries = 0;
      say(video.paused ? "已暂停，暂停期间不计时。" : "正在计时学习中…");
    }
    if (queue[0] === beat) queue.shift();
    if (reply.kind === "signed-out") signedOut();
    else if (reply.kind === "taken") takenOver();
    else if (reply.kind === "broken") say(BROKEN);
    else if (reply.kind === "refused") {
      say(reply.data.error || BROKEN);
      if (reply.status === 404 || reply.status === 410) halt(); // no such playback, or the class was refunded
    } else handle(reply.data);
  }
  sending = false;
}

function handle(reply) {
  if (!reply.accepted) return;
  // After a long network outage the server's watched point is behind the video: what played meanwhile was not
  // counted, so the video goes back there (and says so) rather than let the learner believe it was.
  // The server's point trails the video by up to two heartbeats and a late one's slack (a slow first beat, a retry):
  // only past that has the video played on beyond what can be counted.
  const slack = 2 * Number(root.dataset.interval || 15) + 10;
  const behind = reply.credited === 0 && !video.paused && reply.furthest + slack < video.currentTime;
  furthest = behind ? reply.furthest : Math.max(furthest, reply.furthest);
  gate = reply.gate ?? null;
  if (duration) watchedEl.textContent = `${Math.min(100, Math.floor((reply.watched / duration) * 100))}%`;
  if (behind) {
    video.currentTime = reply.furthest;
    enqueue(true); // the server carries on from here, not from the position of the last queued heartbeat
    notice(`网络中断期间的内容没有计时，已退回到 ${clockText(reply.furthest)} 接着播放。`);
  }
  if (reply.finished) {
    say("本课件已学完。");
    showNextStep();
  } else if (!video.paused && Date.now() >= noticeUntil) say("正在计时学习中…");
  if (reply.pending) ask(reply.pending);
}

// --- Pop-up questions: video and timing stop until the right answer is given ------------------------------------

function kindName(kind) {
  if (kind === "multiple") return "多选";
  if (kind === "judge") return "判断";
  return "单选";
}

function ask(question) {
  video.pause();
  if (document.fullscreenElement) document.exitFullscreen?.(); // the question must be seen
  video.webkitExitFullscreen?.();
  if (!quiz.hidden && quiz.dataset.id === String(question.id)) return; // asked already: keep what was chosen
  focusBeforeQuiz = document.activeElement;
  quiz.hidden = false;
  quiz.dataset.id = question.id;
  quiz.querySelector("[data-quiz-text]").textContent = `（${kindName(question.kind)}）${question.text}`;
  const options = quiz.querySelector("[data-quiz-options]");
  options.replaceChildren();
  const type = question.kind === "multiple" ? "checkbox" : "radio";
  for (const option of question.options) {
    const label = document.createElement("label");
    label.className = "radio quiz-option";
    const input = document.createElement("input");
    input.type = type;
    input.name = "answer";
    input.value = option.key;
    label.append(input, ` ${option.key}. ${option.text}`);
    options.append(label);
  }
  quizMessage.textContent = "";
  quizHelp.hidden = true;
  helpButton.hidden = true;
  wrongAnswers = 0;
  placeAlert();
  options.querySelector("input")?.focus();
  say("请先回答知识点题目，答对后继续学习。");
}

function closeQuiz() {
  quiz.hidden = true;
  placeAlert();
  (focusBeforeQuiz && document.contains(focusBeforeQuiz) ? focusBeforeQuiz : video).focus?.();
}

// The question is a modal dialog: Tab stays inside it.
quiz.addEventListener("keydown", (event) => {
  if (event.key !== "Tab") return;
  const focusable = [...quiz.querySelectorAll("input, button, a[href]")].filter(
    (el) => !el.disabled && !el.closest("[hidden]"),
  );
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
});

function busy(on) {
  answering = on;
  submitButton.disabled = on;
  submitButton.textContent = on ? "正在提交…" : "提交答案";
}

// Send the chosen answer, again after a network failure or a 5xx (a few times, saying so).
async function sendAnswer(url, chosen) {
  for (let attempt = 1; ; attempt += 1) {
    const data = form({});
    for (const value of chosen) data.append("answer", value);
    const reply = await call(url, data);
    if (reply.kind !== "retry") return reply;
    if (attempt >= ANSWER_TRIES) return reply;
    quizMessage.textContent = "网络不稳定，正在重试…";
    await pause(backoff(attempt));
  }
}

function showHelp(help) {
  quiz.querySelector("[data-quiz-help-label]").textContent = help.label;
  quiz.querySelector("[data-quiz-help-text]").textContent = help.text;
  quizHelp.hidden = false;
  helpButton.hidden = true;
}

// 看解析: asked for by the learner, like 显示答案 in practice (never sent with a wrong answer's reply).
helpButton.addEventListener("click", async () => {
  if (answering) return;
  answering = true;
  helpButton.disabled = true;
  helpButton.textContent = "正在打开…";
  const url = root.dataset.answerUrl.replace("/0/", `/${quiz.dataset.id}/`);
  const reply = await call(url, form({ help: "1" }));
  answering = false;
  helpButton.disabled = false;
  helpButton.textContent = "看解析";
  if (reply.kind === "signed-out") signedOut();
  else if (reply.kind === "retry") quizMessage.textContent = "网络不稳定，请稍后再点“看解析”。";
  else if (reply.kind === "ok" && reply.data.help) {
    showHelp(reply.data.help);
    quizHelp.focus(); // the button that had focus is gone: the 解析 takes it, so it is read out
  } else quizMessage.textContent = reply.data?.error || BROKEN;
});

quizForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (answering) return;
  const chosen = [...quiz.querySelectorAll("input[name=answer]:checked")].map((input) => input.value);
  if (!chosen.length) {
    quizMessage.textContent = "请选择答案。";
    return;
  }
  busy(true);
  quizMessage.textContent = "";
  const url = root.dataset.answerUrl.replace("/0/", `/${quiz.dataset.id}/`);
  const reply = await sendAnswer(url, chosen); // the choice stays ticked whatever happens: pressing again resends it
  busy(false);
  if (reply.kind === "signed-out") {
    signedOut();
  } else if (reply.kind === "retry") {
    quizMessage.textContent = "网络不稳定，答案没有提交成功。请检查网络后再点“提交答案”。";
  } else if (reply.kind !== "ok") {
    quizMessage.textContent = reply.data?.error || BROKEN;
  } else if (reply.data.correct) {
    closeQuiz();
    gate = reply.data.gate ?? null;
    if (video.currentTime > reply.data.resume + 1) video.currentTime = reply.data.resume; // nothing past it was credited
    say("回答正确，继续学习。");
    video.play().catch(() => say("回答正确，请点击播放继续学习。"));
  } else {
    quizMessage.textContent = reply.data.message || "回答不正确，请再想一想。";
    wrongAnswers += 1;
    if (wrongAnswers >= HELP_AFTER_WRONG && quizHelp.hidden) helpButton.hidden = false;
  }
});

// --- The video -----------------------------------------------------------------------------------------------

// No seeking past the furthest watched point (the server would not credit it anyway).
video.addEventListener("seeking", () => {
  const limit = Math.max(furthest, 0) + 2;
  if (video.currentTime > limit) {
    const playing = !video.paused;
    enqueue(playing, video.currentTime); // the attempt, so 学时明细 can say what was skipped (快进) and why
    video.currentTime = furthest;
    enqueue(playing); // and back: the server carries on from here, so the next heartbeat's time still counts
    notice("只能拖动到已经看过的位置。");
  }
});
video.addEventListener("timeupdate", () => {
  if (!video.seeking && video.currentTime > furthest && video.currentTime - furthest < 5) furthest = video.currentTime;
  if (gate !== null && video.currentTime >= gate && !video.paused) {
    video.pause();
    video.currentTime = gate; // stop exactly at the question: nothing after it is credited before the answer
    enqueue(false); // report the stop at the question: the server answers with it
  }
});
video.addEventListener("ratechange", () => {
  if (video.playbackRate !== 1) video.playbackRate = 1;
});

video.addEventListener("play", () => {
  if (!quiz.hidden || stopped) {
    video.pause(); // a question to answer first, or timing stopped here (signed out, or another page plays)
    return;
  }
  enqueue(true);
  clearInterval(timer);
  timer = setInterval(() => enqueue(true), (root.dataset.interval || 15) * 1000);
  say("正在计时学习中…");
});
video.addEventListener("pause", () => {
  clearInterval(timer);
  enqueue(false);
  if (quiz.hidden && !stopped) say("已暂停，暂停期间不计时。");
});
video.addEventListener("ended", () => {
  clearInterval(timer);
  enqueue(false);
  showNextStep();
});
// A large 播放 / 暂停 under the video: the native controls' buttons are small for a finger on a phone.
function showPlayState() {
  if (!video.paused) playToggle.textContent = "❚❚ 暂停";
  else playToggle.textContent = video.currentTime > 0 && !video.ended ? "▶ 继续播放" : "▶ 播放";
}
playToggle.addEventListener("click", () => {
  if (video.paused) video.play().catch(() => {}); // refused (a question open, timing stopped): the status says why
  else video.pause();
});
for (const name of ["play", "pause", "ended", "seeked"]) video.addEventListener(name, showPlayState);

video.addEventListener("error", () => {
  if (!stopped) say("视频没有加载出来，请检查网络后刷新页面。");
});
document.addEventListener("visibilitychange", () => {
  if (document.hidden && !video.paused) video.pause(); // timing stops while the page is hidden
});
window.addEventListener("pagehide", () => {
  if (!session || stopped) return;
  seq += 1;
  navigator.sendBeacon(
    root.dataset.beatUrl,
    form({ session, seq, position: video.currentTime.toFixed(2), playing: "0" }),
  );
});

// --- Opening a playback session ------------------------------------------------------------------------------

// `wanted`: where to continue (the `t` of a 重新登录, or where this page stood when taking over), honoured only up to
// the furthest point the server says was watched — the same as dragging the slider there.
function begin(data, wanted) {
  session = data.session;
  seq = 0;
  stopped = false;
  furthest = data.furthest;
  duration = data.duration;
  gate = data.pending ? data.pending.position : null;
  root.dataset.interval = data.interval;
  hideAlert();
  playToggle.hidden = false;
  showPlayState();
  if (duration) watchedEl.textContent = `${Math.floor((Math.min(furthest, duration) / duration) * 100)}%`;
  const resume = () => {
    const at = wanted === null ? data.position : Math.min(wanted, furthest);
    if (at > 0 && at < duration - 1) video.currentTime = at;
    // Back where an unanswered question stopped the video: a paused beat there makes the server ask it again.
    if (gate !== null && video.currentTime >= gate - 0.5) enqueue(false);
  };
  if (video.readyState >= 1) resume();
  else video.addEventListener("loadedmetadata", resume, { once: true });
  if (data.finished) {
    say("本课件已学完，可以重学（不重复计学时）。");
    showNextStep();
  } else say(wanted === null ? "点击播放开始学习。" : "已回到刚才的位置，点击播放继续学习。");
}

async function start(wanted = null) {
  for (let attempt = 1; ; attempt += 1) {
    const reply = await call(root.dataset.startUrl, form({}));
    if (reply.kind === "retry") {
      say("网络不稳定，正在重试…");
      await pause(backoff(attempt));
      continue;
    }
    if (reply.kind === "signed-out") signedOut();
    else if (reply.kind === "ok") begin(reply.data, wanted);
    else say(reply.data?.error || "无法播放，请返回重试。");
    return;
  }
}

const resumeAt = Number.parseFloat(root.dataset.resumeAt);
start(Number.isFinite(resumeAt) ? resumeAt : null);
