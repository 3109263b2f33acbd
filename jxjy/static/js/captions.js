// 字幕：开 / 字幕：关 on the player. The courseware's captions arrive as a <track> inside the video; this button
// shows or hides them and remembers the choice on this device (the video's own 字幕 menu is kept in step).
const KEY = "jxjy.captions";
const video = document.getElementById("video");
const button = document.querySelector("[data-captions-toggle]");
const trackEl = video && video.querySelector("track");

function remembered() {
  try {
    return window.localStorage.getItem(KEY) !== "off";
  } catch {
    return true; // storage refused (private browsing): captions stay on
  }
}

function remember(on) {
  try {
    window.localStorage.setItem(KEY, on ? "on" : "off");
  } catch {
    // nothing to do: the choice lasts for this page only
  }
}

function show(on) {
  // "hidden", not "disabled": the cues stay loaded, so turning them back on is instant.
  trackEl.track.mode = on ? "showing" : "hidden";
  button.textContent = on ? "字幕：开" : "字幕：关";
  button.setAttribute("aria-pressed", on ? "true" : "false");
}

if (video && button && trackEl && trackEl.readyState !== HTMLTrackElement.ERROR) {
  show(remembered());
  button.hidden = false;
  button.addEventListener("click", () => {
    const on = trackEl.track.mode !== "showing";
    show(on);
    remember(on);
  });
  video.textTracks.addEventListener("change", () => {
    const on = trackEl.track.mode === "showing";
    if (button.getAttribute("aria-pressed") !== String(on)) {
      show(on);
      remember(on);
    }
  });
  trackEl.addEventListener("error", () => {
    button.hidden = true; // the captions could not be loaded: no button that does nothing
  });
}
