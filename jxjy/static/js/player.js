// The courseware player. The server judges every second of learning time; this script only reports
// what the video does (heartbeats every 15 s while playing, and on pause, end, tab hide and page close),
// keeps honest time from being lost (a failed heartbeat stays queued and is retried, in order), stops
// seeking past the furthest watched point, and shows the pop-up questions the server asks for.
const root = document.querySelector("[data-player]");
const video = document.getElementById("video");
const statusEl = root.querySelector("[data-status]");
const watchedEl = root.querySelector("[data-watched]");
const quiz = root.querySelector(".quiz");
const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;

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

// 2, 4, 8 then every 15 s (the server's Retry-After): well inside the 60 s a late heartbeat may still bank.
function retryDelay() {
  retries += 1;
  return Math.min(2000 * 2 ** (retries - 1), 15000);
}

function say(text) {
  statusEl.textContent = text;
}

// URL-encoded, not multipart: sendBeacon sends it as a form too, and it is the cheapest body to parse.
function form(fields) {
  const data = new URLSearchParams();
  data.append("csrfmiddlewaretoken", csrf);
  for (const [key, value] of Object.entries(fields)) data.append(key, value);
  return data;
}

function enqueue(playing) {
  if (!session || stopped) return;
  seq += 1;
  queue.push({ session, seq, position: video.currentTime.toFixed(2), playing: playing ? "1" : "0" });
  flush();
}

async function flush() {
  if (sending) return;
  sending = true;
  while (queue.length && !stopped) {
    const beat = queue[0];
    let response;
    try {
      response = await fetch(root.dataset.beatUrl, {
        method: "POST",
        body: form(beat),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      response = null; // no answer at all: the network
    }
    if (!response || response.status >= 500) {
      // The network is down or the server is busy (503 during an outage, 502 while it restarts): keep the beat
      // at the head of the queue and send it again, waiting longer each time.
      say("网络不稳定，正在重试…（已学的时间不会丢失）");
      await new Promise((resolve) => setTimeout(resolve, retryDelay()));
      continue;
    }
    if (retries) {
      retries = 0;
      say(video.paused ? "已暂停，暂停期间不计时。" : "正在计时学习中…");
    }
    queue.shift();
    if (response.status === 409) {
      stopped = true;
      video.pause();
      say("您已在其他页面或设备上播放课程，此处已暂停计时。");
      break;
    }
    if (response.status === 401) {
      stopped = true;
      video.pause();
      say("登录已过期，请重新登录后继续学习。");
      break;
    }
    if (!response.ok) continue;
    handle(await response.json());
  }
  sending = false;
}

function handle(reply) {
  if (!reply.accepted) return;
  furthest = Math.max(furthest, reply.furthest);
  gate = reply.gate ?? null;
  if (duration) watchedEl.textContent = `${Math.min(100, Math.floor((reply.watched / duration) * 100))}%`;
  if (reply.finished) say("本课件已学完。");
  else if (!video.paused) say("正在计时学习中…");
  if (reply.pending) ask(reply.pending);
}

// Pop-up questions: video and timing stop until the right answer is given.
function ask(question) {
  video.pause();
  if (document.fullscreenElement) document.exitFullscreen?.(); // the question must be seen
  video.webkitExitFullscreen?.();
  quiz.hidden = false;
  quiz.dataset.id = question.id;
  quiz.querySelector("[data-quiz-text]").textContent = `（${question.kind === "multiple" ? "多选" : question.kind === "judge" ? "判断" : "单选"}）${question.text}`;
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
  quiz.querySelector("[data-quiz-message]").textContent = "";
  options.querySelector("input")?.focus();
  say("请先回答知识点题目，答对后继续学习。");
}

quiz.querySelector("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const chosen = [...quiz.querySelectorAll("input[name=answer]:checked")].map((input) => input.value);
  const message = quiz.querySelector("[data-quiz-message]");
  if (!chosen.length) {
    message.textContent = "请选择答案。";
    return;
  }
  const data = form({});
  for (const value of chosen) data.append("answer", value);
  const url = root.dataset.answerUrl.replace("/0/", `/${quiz.dataset.id}/`);
  const response = await fetch(url, { method: "POST", body: data, credentials: "same-origin" });
  const reply = await response.json();
  if (reply.correct) {
    quiz.hidden = true;
    gate = reply.gate ?? null;
    if (video.currentTime > reply.resume + 1) video.currentTime = reply.resume; // nothing past it was credited
    say("回答正确，继续学习。");
    video.play();
  } else {
    message.textContent = reply.message || "回答不正确，请再想一想。";
  }
});

// No seeking past the furthest watched point (the server would not credit it anyway).
video.addEventListener("seeking", () => {
  const limit = Math.max(furthest, 0) + 2;
  if (video.currentTime > limit) {
    video.currentTime = furthest;
    say("只能拖动到已经看过的位置。");
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
  if (!quiz.hidden) {
    video.pause();
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

async function start() {
  const response = await fetch(root.dataset.startUrl, { method: "POST", body: form({}), credentials: "same-origin" });
  const data = await response.json();
  if (!response.ok) {
    say(data.error || "无法播放，请返回重试。");
    return;
  }
  session = data.session;
  furthest = data.furthest;
  duration = data.duration;
  gate = data.pending ? data.pending.position : null;
  root.dataset.interval = data.interval;
  if (duration) watchedEl.textContent = `${Math.floor((Math.min(furthest, duration) / duration) * 100)}%`;
  const resume = () => {
    if (data.position > 0 && data.position < duration - 1) video.currentTime = data.position;
  };
  if (video.readyState >= 1) resume();
  else video.addEventListener("loadedmetadata", resume, { once: true });
  say(data.finished ? "本课件已学完，可以重学（不重复计学时）。" : "点击播放开始学习。");
}

start();
