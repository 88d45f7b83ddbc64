"""Root URL configuration. Every URL is named; apps own their own url modules."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from articles.public.attestation_views import jwks
from articles.public.http_cache import public_cache
from articles.public.pages import robots_txt
from articles.public.sitemaps import sitemap_view
from config import views
from reviews.admin import password_change_guarded

# A database outage answers 503 with Retry-After; any other error, Django's 500 page.
handler500 = views.server_error

admin.site.site_header = "Health pages: editorial admin"
admin.site.site_title = "Health pages admin"
admin.site.index_title = "Editorial work"
admin.site.index_template = "admin/healthpages_index.html"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Before the admin's own: a physician's password-change form counts wrong passwords with
    # the signing lockout (reviews.admin.password_change_guarded).
    path(
        "admin/password_change/",
        admin.site.admin_view(password_change_guarded),
        name="password_change_guarded",
    ),
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt, name="robots_txt"),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("sitemap.xml", public_cache(sitemap_view), name="sitemap"),
    path("transparency/", include("reviews.urls")),
    path("figures/", include("figures.urls")),
    path("", include("articles.public.urls")),
]

if settings.DEBUG:
    # Uploaded photos in development; production serves MEDIA_ROOT from the web server or
    # object storage (see README).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
