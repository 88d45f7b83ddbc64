"""Root URL configuration. Every URL is named; apps own their own url modules."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from config import views

admin.site.site_header = "Health pages: editorial admin"
admin.site.site_title = "Health pages admin"
admin.site.index_title = "Editorial work"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    # Uploaded photos in development; production serves MEDIA_ROOT from the web server or
    # object storage (see README).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
