// 签到二维码 on the room's screen: the code's token is valid 60 seconds, so fetch a new one every 20 seconds.
const box = document.querySelector("[data-refresh-url]");
const EVERY_MS = 20000;

async function refresh() {
  const error = box.querySelector(".f2f-qr-error");
  try {
    const response = await fetch(box.dataset.refreshUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || "");
    box.querySelector(".f2f-qr-image").src = data.qr;
    box.dataset.scanUrl = data.url;
    box.querySelector(".f2f-qr-done").textContent = String(data.done);
    error.hidden = true;
  } catch (failure) {
    error.textContent = "二维码更新失败，请检查网络后刷新本页。";
    error.hidden = false;
  }
}

if (box) setInterval(refresh, EVERY_MS);
