"""
The figure library in the admin: upload (add), edit the words (change), and the JSON list the
article form's "Insert a figure from the library" picker reads.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path
from django.utils.html import format_html

from figures.images import PreparedImage
from figures.models import Figure
from figures.selectors import figure_picker_entries, thumbnail
from figures.services import FIGURE_FIELDS, figure_create, figure_prepare, figure_update

REPLACE_NOTE = (
    "A figure's image never changes, so that what a physician approved is what readers see. "
    "To use a different image, upload it as a new figure and insert that one in the article."
)


class FigureAddForm(forms.ModelForm):
    """The upload form: the image is checked (and its files made) before anything is stored."""

    image = forms.FileField(
        help_text="A JPEG, PNG or WebP image (a chart exported as PNG is ideal). Location and "
        "camera data are removed; the image is made in several sizes for phones and screens.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    prepared: PreparedImage | None = None

    class Meta:
        model = Figure
        fields = ["image", *FIGURE_FIELDS]
        widgets = {"caption": forms.Textarea(attrs={"rows": 2})}

    def clean_image(self):
        upload = self.cleaned_data["image"]
        self.prepared = figure_prepare(upload)
        return upload


class FigureChangeForm(forms.ModelForm):
    class Meta:
        model = Figure
        fields = list(FIGURE_FIELDS)
        widgets = {"caption": forms.Textarea(attrs={"rows": 2})}


@admin.register(Figure)
class FigureAdmin(admin.ModelAdmin):
    """
    Figures. Saving goes through `figure_create` / `figure_update`. Figures are never deleted
    here: a signed revision may show one, and its files are what the approval covers.
    """

    list_display = ["preview", "id", "caption", "credit", "licence", "dimensions", "created_at"]
    list_display_links = ["preview", "id", "caption"]
    list_filter = ["licence", "format"]
    search_fields = ["caption", "alt_text", "credit"]
    readonly_fields = ["large_preview", "marker_text", "file_details"]

    class Media:
        css = {"all": ["figures/admin.css"]}

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = FigureChangeForm if obj is not None else FigureAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        words = (
            "Words shown with the image",
            {"fields": list(FIGURE_FIELDS)},
        )
        if obj is None:
            return [("Image", {"fields": ["image"]}), words]
        return [
            (
                "Image",
                {
                    "fields": ["large_preview", "marker_text", "file_details"],
                    "description": REPLACE_NOTE,
                },
            ),
            words,
        ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in FIGURE_FIELDS if name in form.cleaned_data
        }
        if change:
            saved = figure_update(figure=obj, data=data, user=request.user)
        else:
            saved = figure_create(image=form.prepared, data=data, user=request.user)
        # The admin's message and redirect read the instance it passed in: make it the stored one.
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db
        obj.refresh_from_db()

    @admin.display(description="Image")
    def preview(self, obj):
        thumb = thumbnail(obj)
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="" class="figure-thumb">',
            thumb["url"],
            thumb["width"],
            thumb["height"],
        )

    @admin.display(description="Image")
    def large_preview(self, obj):
        thumb = thumbnail(obj)
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="{}" class="figure-preview">',
            thumb["url"],
            thumb["width"],
            thumb["height"],
            obj.alt_text,
        )

    @admin.display(description="Marker for the article body")
    def marker_text(self, obj):
        return format_html(
            "<code>{}</code> (on a line of its own; the article form's picker inserts it)",
            obj.marker,
        )

    @admin.display(description="File")
    def file_details(self, obj):
        return format_html(
            "{} × {} pixels, {}, {} bytes; uploaded as “{}”<br>SHA-256 <code>{}</code>",
            obj.width,
            obj.height,
            obj.get_format_display(),
            obj.byte_size,
            obj.source_name or "(unnamed)",
            obj.sha256,
        )

    @admin.display(description="Size")
    def dimensions(self, obj):
        return f"{obj.width} × {obj.height}"

    def get_urls(self):
        picker = self.admin_site.admin_view(self.picker_view)
        return [
            path("picker.json", picker, name="figures_figure_picker"),
            *super().get_urls(),
        ]

    def picker_view(self, request):
        """The figures the article form's picker offers (JSON), newest first."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = JsonResponse({"figures": figure_picker_entries()})
        response["Cache-Control"] = "private, no-store"
        return response
