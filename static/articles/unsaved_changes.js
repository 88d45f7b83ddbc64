/*
 * A warning before leaving the article form with unsaved changes.
 *
 * The form's state is recorded once the admin's widgets have set themselves up, and compared
 * when the page is about to be left. CKEditor keeps its text away from the textarea until the
 * form is submitted, so each editor is asked with checkDirty(). Submitting the form (Save,
 * Save and send for review) leaves without a warning; Preview opens a new tab and keeps the
 * form dirty. Loaded by ArticleAdmin.Media (the admin CSP allows scripts from 'self').
 */
(function () {
  "use strict";

  var form = null;
  var initial = null;
  var submitting = false;

  function state() {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled || /-TOTAL_FORMS$/.test(field.name)) {
        return;
      }
      if (field.type === "submit" || field.type === "button" || field.type === "file") {
        return;
      }
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) {
        return;
      }
      if (field.tagName === "SELECT") {
        // The "chosen" box of a filter_horizontal widget holds its values unselected until
        // the form is submitted: every option in it counts.
        var chosenBox = /_to$/.test(field.id);
        Array.prototype.forEach.call(field.options, function (option) {
          if (chosenBox || option.selected) {
            parts.push(field.name + "=" + option.value);
          }
        });
        return;
      }
      parts.push(field.name + "=" + field.value);
    });
    return parts.join("\n");
  }

  function editorsDirty() {
    var editors = window.CKEDITOR && window.CKEDITOR.instances;
    if (!editors) {
      return false;
    }
    return Object.keys(editors).some(function (name) {
      var editor = editors[name];
      return editor.status === "ready" && editor.checkDirty();
    });
  }

  function isDirty() {
    return initial !== null && (editorsDirty() || state() !== initial);
  }

  function start() {
    form = document.getElementById("article_form");
    if (!form) {
      return;
    }
    // After the other "load" handlers (SelectFilter builds its boxes in one).
    window.setTimeout(function () {
      initial = state();
    }, 0);
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.formTarget === "_blank") {
        return; // Preview: the form stays here, unsaved.
      }
      submitting = true;
    });
    window.addEventListener("beforeunload", function (event) {
      if (submitting || !isDirty()) {
        return;
      }
      event.preventDefault();
      // Older browsers show the dialog only when returnValue is set.
      event.returnValue = "";
    });
  }

  if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start);
  }
})();
