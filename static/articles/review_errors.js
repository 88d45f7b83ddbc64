/*
 * The review screen's error summary (why nothing was signed) takes the focus when the page
 * loads, so a physician on a phone, or using a screen reader, is taken to it rather than left
 * at the top of a long page. Each error in it links to its field.
 */
(function () {
  "use strict";

  function start() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
