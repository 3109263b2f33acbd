// 提交订单: show only the invoice fields that apply. Without this script every field shows and the
// server still checks exactly the ones the chosen options need.
const form = document.querySelector(".invoice-form");

function sync() {
  const type = form.querySelector("input[name=invoice_type]:checked")?.value || "none";
  const delivery = form.querySelector("input[name=delivery]:checked")?.value || "email";
  form.querySelectorAll("[data-invoice]").forEach((el) => {
    el.hidden = !el.dataset.invoice.split(" ").includes(type);
  });
  form.querySelectorAll("[data-delivery]").forEach((el) => {
    el.hidden = el.dataset.delivery !== delivery;
  });
}

if (form) {
  form.addEventListener("change", sync);
  sync();
}
