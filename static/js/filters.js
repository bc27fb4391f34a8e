// Small conveniences of the filter form; the form works the same without them.
(function () {
  "use strict";
  const form = document.querySelector("form.filters");
  if (!form) return;
  const custom = form.querySelector('input[name="range"][value="custom"]');
  // Typing a date means a custom range.
  form.querySelectorAll("[data-custom-range]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (custom) custom.checked = true;
    });
  });
  // Choosing a preset or a mode applies at once.
  form.querySelectorAll('input[name="range"]:not([value="custom"]), input[name="mode"]').forEach(
    function (input) {
      input.addEventListener("change", function () {
        form.requestSubmit();
      });
    },
  );
})();
