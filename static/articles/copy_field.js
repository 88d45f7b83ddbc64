/*
 * "Copy" buttons for read-only fields (a physician's calendar feed address on the due-reviews
 * page). A button is shown only where the browser lets the page write to the clipboard;
 * elsewhere the field selects itself on focus, to be copied by hand.
 */
(function () {
  "use strict";

  function say(status, text) {
    if (status) {
      status.textContent = text;
    }
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copyTarget);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!field) {
      return;
    }
    field.addEventListener("focus", function () {
      field.select();
    });
    if (!navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () {
          say(status, "Copied.");
        },
        function () {
          field.focus();
          say(status, "Press Ctrl+C (⌘C on a Mac) to copy the selected address.");
        }
      );
    });
  });
})();
