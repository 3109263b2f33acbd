// 在线选课: while courses are ticked, each category's line says at once how many 学时 are still to choose
// (the server's figures are the ones shown before any tick, and the ones that count after 确认选中的课程).
const summary = document.querySelector(".select-summary");
const boxes = [...document.querySelectorAll("input[name=courses][data-category]")];

// Hours in hundredths (ledger figures have two places), so the sums are exact.
const hundredths = (text) => Math.round(Number.parseFloat(text || "0") * 100);

// 14.25 → "14.3" (还需选 rounds up), 48.00 → "48": the way lib/hours.py writes it.
function shortHours(value) {
  const tenths = Math.ceil(value / 10);
  return tenths % 10 ? (tenths / 10).toFixed(1) : String(tenths / 10);
}

function heldHours(value) {
  const tenths = Math.floor(value / 10);
  return tenths % 10 ? (tenths / 10).toFixed(1) : String(tenths / 10);
}

function update() {
  for (const line of summary.querySelectorAll("li[data-category]")) {
    const category = line.dataset.category;
    const selected = boxes
      .filter((box) => box.checked && box.dataset.category === category)
      .reduce((sum, box) => sum + hundredths(box.dataset.hours), 0);
    const need = Math.max(0, hundredths(line.dataset.required) - hundredths(line.dataset.elsewhere) - selected);
    line.querySelector("[data-selected]").textContent = heldHours(selected);
    const text = document.createElement("span");
    text.className = need > 0 ? "missing" : "ok-text";
    text.textContent = need > 0 ? `还需选 ${shortHours(need)} 学时` : "已选够";
    line.querySelector("[data-need]").replaceChildren(text);
    line.classList.toggle("warn", need > 0);
  }
}

if (summary && boxes.length) {
  for (const box of boxes) box.addEventListener("change", update);
}
