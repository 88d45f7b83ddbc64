"""The figure files' addresses: /figures/<sha256>.<jpg|png|webp>."""

from django.urls import re_path

from figures import views

app_name = "figures"

urlpatterns = [
    re_path(
        r"^(?P<sha256>[0-9a-f]{64})\.(?P<extension>jpg|png|webp)$",
        views.figure_file,
        name="file",
    ),
]
