// A practice paper: 显示答案 asks the server for one question's answer (the page never carries it before that)
// and shows it under the question, keeping every answer already ticked. Without script the same button posts
// the form and the page comes back with the answer.
const form = document.querySelector("[data-practice]");
const statusEl = document.querySelector("[data-practice-status]");
const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

function say(text) {
  statusEl.textContent = text;
}

function answerBox(reply) {
  const box = document.createElement("div");
  box.className = "answer-box";
  box.dataset.answerBox = "";
  const line = document.createElement("p");
  line.className = "flush";
  const strong = document.createElement("strong");
  strong.textContent = reply.answer;
  line.append("正确答案：", strong);
  box.append(line);
  if (reply.explanation) {
    const help = document.createElement("p");
    help.className = "help flush";
    help.textContent = `解析：${reply.explanation}`;
    box.append(help);
  }
  return box;
}

async function reveal(button) {
  const slot = button.closest("[data-answer-slot]");
  button.disabled = true;
  let response;
  try {
    response = await fetch(button.formAction, {
      method: "POST",
      body: new URLSearchParams({ csrfmiddlewaretoken: csrf }),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch (error) {
    say("网络不稳定，请稍后再点“显示答案”。");
    button.disabled = false;
    return;
  }
  const reply = await response.json().catch(() => ({}));
  if (response.status === 401) {
    // Signed out (idle too long): say so plainly; the answers ticked on this page stay as they are.
    say("您已退出登录，请重新登录后再看答案。");
    const link = document.createElement("a");
    link.href = form.dataset.loginUrl;
    link.textContent = "重新登录";
    statusEl.append(" ", link);
    button.disabled = false;
    return;
  }
  if (response.status >= 500) {
    say("服务器暂时忙，请稍后再点“显示答案”。");
    button.disabled = false;
    return;
  }
  if (response.ok && typeof reply.answer !== "string") {
    say("暂时无法显示答案，请刷新页面。");
    button.disabled = false;
    return;
  }
  if (!response.ok) {
    say(reply.error || "暂时无法显示答案，请刷新页面。");
    if (reply.exam) {
      // An exam is on: no answers until it is handed in; the way back to it.
      const link = document.createElement("a");
      link.href = reply.exam;
      link.textContent = "返回考试";
      statusEl.append(" ", link);
      return;
    }
    button.disabled = false;
    return;
  }
  const box = answerBox(reply);
  slot.replaceWith(box);
  say("");
}

form.addEventListener("click", (event) => {
  const button = event.target.closest("[data-reveal]");
  if (!button) return;
  event.preventDefault();
  reveal(button);
});
