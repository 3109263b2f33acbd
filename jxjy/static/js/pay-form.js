// 立即支付 / 继续支付: one click sends one request. The form carries a request key made by the server for this
// page (the server answers a repeat of the same request with the first answer, never a second gateway order); the
// button is disabled once the form is sent, and coming back to the page with the browser's 返回 gives the form a
// fresh key, so choosing another payment method then is a new request. Without this script the page still works.
const forms = document.querySelectorAll("form.pay-form");

for (const form of forms) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  });
}

window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of forms) {
    const key = form.querySelector("input[name=idempotency_key]");
    if (key && window.crypto && crypto.randomUUID) key.value = crypto.randomUUID();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = false;
  }
});
