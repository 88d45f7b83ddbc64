/*
 * "Insert a figure from the library" under the article body's editor
 * (articles/content/admin/figure_picker.py).
 *
 * The list comes from the figure admin as JSON (ids, labels, thumbnails); "Insert figure" puts
 * the figure's marker, [FIGURE:n], at the cursor as a paragraph of its own with CKEditor's
 * insertElement, or at the end of the textarea when CKEditor is not there. The marker is built
 * from the figure's integer id only. A file, so the admin's CSP needs no inline script.
 */
(function () {
  "use strict";

  function setUp(picker) {
    var select = picker.querySelector("select");
    // Made here, not in the HTML: an <img> must have a src, and there is none until a choice.
    var preview = document.createElement("img");
    preview.className = "figure-picker-preview";
    preview.alt = "";
    preview.hidden = true;
    picker.insertBefore(preview, picker.querySelector(".figure-picker-status"));
    var status = picker.querySelector(".figure-picker-status");
    var figures = {};

    function say(text) {
      status.textContent = text;
    }

    function showPreview() {
      var figure = figures[select.value];
      if (!figure || !figure.thumbnail) {
        preview.hidden = true;
        preview.removeAttribute("src");
        return;
      }
      preview.src = figure.thumbnail.url;
      preview.width = figure.thumbnail.width;
      preview.height = figure.thumbnail.height;
      preview.alt = "Preview: " + figure.alt;
      preview.hidden = false;
    }

    function load() {
      say("Loading the figure library…");
      return fetch(picker.dataset.figuresUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          var chosen = select.value;
          figures = {};
          while (select.options.length > 1) {
            select.remove(1);
          }
          data.figures.forEach(function (figure) {
            figures[String(figure.id)] = figure;
            var option = document.createElement("option");
            option.value = String(figure.id);
            option.textContent = figure.label;
            select.appendChild(option);
          });
          if (figures[chosen]) {
            select.value = chosen;
          }
          showPreview();
          say(
            data.figures.length
              ? data.figures.length + " figures in the library."
              : "The library has no figures yet: upload one first."
          );
        })
        .catch(function () {
          say("The figure library could not be loaded. Try “Refresh the list”.");
        });
    }

    function insert() {
      var id = parseInt(select.value, 10);
      if (!(id > 0)) {
        say("Choose a figure first.");
        select.focus();
        return;
      }
      var marker = "[FIGURE:" + id + "]";
      var editors = window.CKEDITOR && window.CKEDITOR.instances;
      var editor = editors && editors[picker.dataset.editor];
      if (editor && editor.status === "ready") {
        editor.focus();
        // insertElement splits the paragraph at the cursor (insertHtml would merge the new
        // paragraph into it), so the marker is a paragraph of its own.
        var paragraph = new window.CKEDITOR.dom.element("p", editor.document);
        paragraph.setText(marker);
        editor.insertElement(paragraph);
      } else {
        var textarea = document.getElementById(picker.dataset.editor);
        textarea.value += "\n<p>" + marker + "</p>";
      }
      say("Figure " + id + " inserted as " + marker + ".");
    }

    select.addEventListener("change", showPreview);
    picker.querySelector("[data-figure-insert]").addEventListener("click", insert);
    picker.querySelector("[data-figure-refresh]").addEventListener("click", load);
    load();
  }

  function start() {
    document.querySelectorAll(".figure-picker").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
