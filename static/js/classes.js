// Classes area: the "Print login cards" button. It stays hidden without JavaScript, where
// the browser's own Print command does the same.
(function () {
  "use strict";

  function showPrintButtons() {
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.hidden = false;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showPrintButtons);
  } else {
    showPrintButtons();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
})();
