// 培训证明: a click on a certificate picture opens a dialog that sends the learner to 继续教育档案.
// Without this script the picture's <details> opens the same prompt in place.
const dialog = document.querySelector(".cert-dialog");
const go = dialog?.querySelector("[data-dialog-go]");

document.querySelectorAll("[data-cert-prompt]").forEach((details) => {
  const summary = details.querySelector("summary");
  summary.setAttribute("aria-haspopup", "dialog");
  summary.addEventListener("click", (event) => {
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    go.href = details.querySelector(".cert-prompt-box a").href;
    dialog.showModal();
  });
});

dialog?.addEventListener("click", (event) => {
  if (event.target === dialog) dialog.close(); // a tap on the backdrop closes it
});
