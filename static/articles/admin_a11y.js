/*
 * Accessibility fixes for Django's own admin widgets on the article form, for which the admin
 * offers no template hook:
 *
 * - the Topics/Authors pickers (filter_horizontal, SelectFilter2.js) put an aria-label on a
 *   bare <span> (the search icon in the filter's label), which ARIA does not allow; as an
 *   image with that label it is announced as intended.
 *
 * SelectFilter2 builds its widgets on the window's load event, so this runs after it.
 */
(function () {
  "use strict";

  function fix() {
    document.querySelectorAll(".selector span[aria-label]:not([role])").forEach(function (span) {
      span.setAttribute("role", "img");
    });
  }

  window.addEventListener("load", function () {
    window.setTimeout(fix, 0);
  });
})();
