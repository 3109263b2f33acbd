// The return page and the QR page only show the order's status: they ask the platform every 2 seconds
// (for up to 3 minutes) and reload once the bank's notification has marked the order paid.
const box = document.querySelector("[data-status-url]");

async function poll(tries) {
  if (!box || tries <= 0) return;
  try {
    const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const data = await response.json();
      if (data.status !== box.dataset.status) {
        window.location.assign(box.dataset.doneUrl || window.location.href);
        return;
      }
    }
  } catch (error) {
    // a flaky network: keep trying
  }
  setTimeout(() => poll(tries - 1), 2000);
}

if (box && box.dataset.status === "pending") poll(90);
