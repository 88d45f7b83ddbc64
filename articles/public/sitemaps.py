"""
`/sitemap.xml`: live articles, topics with live articles, verified reviewers, contributors.

Every list comes through the public gate (publication records, `topic_list_public`), so a
draft-only article never appears. Addresses are built on SITE_URL, not on the request's host,
so the sitemap names the canonical site whichever host name served it.

An article's `lastmod` is the later of its last review (the approval in force, on its
publication record) and its last content update: a re-review is news to a search engine even
when the words did not change.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef

from articles.content.models import Contributor
from articles.public import freshness, selectors
from articles.publishing.models import Publication
from reviews.models import ReviewerProfile


class _SiteUrlSitemap(Sitemap):
    """A sitemap whose addresses use SITE_URL's scheme and host."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ArticleSitemap(_SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return selectors.sound(selectors.publication_list_public().order_by("pk"))

    def lastmod(self, item):
        return max(item.updated_at, item.last_reviewed_at)


class TopicSitemap(_SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return selectors.topic_list_public().only("slug")


class ReviewerSitemap(_SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return ReviewerProfile.objects.verified().only("slug", "verified_at").order_by("slug")

    def lastmod(self, item):
        return item.verified_at


class ContributorSitemap(_SiteUrlSitemap):
    """Contributors with at least one live article (a profile with none is a thin page)."""

    changefreq = "monthly"
    priority = 0.4

    def items(self):
        live = Publication.objects.public().filter(article__authors=OuterRef("pk"))
        return Contributor.objects.filter(Exists(live)).only("slug").order_by("slug")


SITEMAPS = {
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
    "reviewers": ReviewerSitemap,
    "contributors": ContributorSitemap,
}


def sitemap_view(request):
    """`/sitemap.xml`, with what HTTP caches need to know (it lists every public page)."""
    from django.contrib.sitemaps.views import sitemap
    from django.utils import timezone

    now = timezone.now()
    response = sitemap(request, sitemaps=SITEMAPS)
    response.render()
    records = selectors.publication_list_public().only(
        "id", "generation", "next_review_due", "withdraw_at"
    )
    return freshness.attach(response, freshness.of_list(list(records), now, extra=".sitemap"))
