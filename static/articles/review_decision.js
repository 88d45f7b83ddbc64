/*
 * The review screen's sign button names the chosen decision ("Approve and sign", "Request
 * changes"). The server renders a label that is right without this script; this only keeps
 * it in step with the radio buttons.
 */
(function () {
  "use strict";

  function start() {
    var button = document.querySelector("[data-decision-button]");
    if (!button || !button.form) {
      return;
    }
    var form = button.form;

    function update() {
      var chosen = form.querySelector("input[name='decision']:checked");
      var label = chosen && button.getAttribute("data-label-" + chosen.value.replace(/_/g, "-"));
      button.value = label || button.getAttribute("data-label-default");
    }

    form.addEventListener("change", function (event) {
      if (event.target.name === "decision") {
        update();
      }
    });
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
