// Draws every chart of the page: each figure travels as JSON in a <script type="application/json">
// (Django's json_script), so the page needs no inline script and a strict CSP holds.
(function () {
  "use strict";

  function draw(element) {
    const source = document.getElementById(element.dataset.figure);
    if (!source || typeof Plotly === "undefined") return;
    const figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, figure.config).then(function () {
      element.dataset.drawn = "true";
    });
  }

  function drawAll() {
    document.querySelectorAll("[data-figure]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
