// Polls each account's progress JSON while a sync runs and moves its progress bar.
// No inline script anywhere: the URLs travel in data attributes (strict CSP).
(function () {
  "use strict";
  const cells = Array.from(document.querySelectorAll("td.sync[data-progress-url]"));
  if (!cells.length) return;

  async function poll(cell) {
    let state;
    try {
      const response = await fetch(cell.dataset.progressUrl, { credentials: "same-origin" });
      if (!response.ok) return false;
      state = await response.json();
    } catch (error) {
      return true; // a network hiccup: try again next round
    }
    const box = cell.querySelector(".sync-progress");
    const bar = box.querySelector("progress");
    const label = box.querySelector(".progress-label");
    box.hidden = !state.running;
    bar.value = state.progress;
    label.textContent = `${state.pages_done} of ${state.pages_planned || "?"} pages`;
    return state.running;
  }

  // Once the person leaves the page (a link, the address bar), a reload of ours would cancel
  // where they were going: stop polling.
  let leaving = false;
  window.addEventListener("beforeunload", () => { leaving = true; });
  window.addEventListener("pagehide", () => { leaving = true; });

  let wasRunning = cells.some((cell) => !cell.querySelector(".sync-progress").hidden);
  async function round() {
    if (leaving) return;
    const running = (await Promise.all(cells.map(poll))).some(Boolean);
    if (leaving) return;
    if (wasRunning && !running) {
      window.location.reload(); // show the finished sync's figures
      return;
    }
    wasRunning = running;
    window.setTimeout(round, running ? 1500 : 10000);
  }
  window.setTimeout(round, 1000);
})();
