"""
"Insert a figure from the library": a picker under the body's rich-text editor.

It lists the figure library (read as JSON from the figure admin, so a figure uploaded in
another tab appears after "Refresh the list" without reloading the article), shows the chosen
figure's thumbnail, and inserts its marker, `[FIGURE:12]`, as a paragraph of its own at the
cursor (`static/articles/figure_picker.js`, which calls CKEditor's `insertElement`). The picker's
controls have no `name`: nothing of it is posted with the article.
"""

from __future__ import annotations

import copy

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class FigurePickerWidget(forms.Widget):
    """The editor widget it wraps, followed by the figure picker."""

    def __init__(self, editor: forms.Widget):
        super().__init__()
        self.editor = editor

    def __deepcopy__(self, memo):
        clone = super().__deepcopy__(memo)
        clone.editor = copy.deepcopy(self.editor, memo)
        return clone

    @property
    def media(self) -> forms.Media:
        return self.editor.media + forms.Media(js=["articles/figure_picker.js"])

    @property
    def is_hidden(self) -> bool:
        return self.editor.is_hidden

    def value_from_datadict(self, data, files, name):
        return self.editor.value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data, files, name):
        return self.editor.value_omitted_from_data(data, files, name)

    def id_for_label(self, id_):
        return self.editor.id_for_label(id_)

    def render(self, name, value, attrs=None, renderer=None):
        editor = self.editor.render(name, value, attrs, renderer)
        editor_id = (attrs or {}).get("id") or f"id_{name}"
        picker = format_html(
            '<div class="figure-picker" data-editor="{editor}" data-figures-url="{list_url}">'
            '<label for="{editor}_figure">Insert a figure from the library</label> '
            '<select id="{editor}_figure" aria-describedby="{editor}_figure_help">'
            '<option value="">Choose a figure…</option></select> '
            '<button type="button" class="button" data-figure-insert>Insert figure</button> '
            '<button type="button" class="button" data-figure-refresh>Refresh the list</button> '
            '<a href="{add_url}" target="_blank" rel="noopener">Upload a new figure</a>'
            '<p class="help" id="{editor}_figure_help">The figure goes in at the cursor as '
            "[FIGURE:n] on a line of its own; the page shows the image with its caption and "
            'credit. After uploading in the new tab, choose "Refresh the list".</p>'
            '<p class="figure-picker-status" role="status"></p>'
            "</div>",
            editor=editor_id,
            list_url=reverse("admin:figures_figure_picker"),
            add_url=reverse("admin:figures_figure_add"),
        )
        return mark_safe(str(editor) + str(picker))  # noqa: S308 - both parts built escaped
