"""
`/sitemap.xml`: live articles, topics with live articles, verified reviewers, contributors.

Every list comes through the public gate (`Article.objects.live()`, `topic_list_public`), so a
draft-only article never appears. Addresses are built on SITE_URL, not on the request's host,
so the sitemap names the canonical site whichever host name served it.

An article's `lastmod` is the later of its last review (the newest approval of the live
revision, `ArticleQuerySet.with_review_dates`) and its last content update (the live revision's
creation): a re-review is news to a search engine even when the words did not change.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef

from articles.content.models import Article, Contributor
from articles.public import selectors
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
        return (
            Article.objects.live()
            .with_review_dates()
            .select_related("live_revision")
            .only("slug", "live_revision__created_at")
            .order_by("pk")
        )

    def lastmod(self, item):
        dates = [item.live_revision.created_at, item.last_reviewed_at]
        return max(d for d in dates if d is not None)


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
        live = Article.objects.live().filter(authors=OuterRef("pk"))
        return Contributor.objects.filter(Exists(live)).only("slug").order_by("slug")


SITEMAPS = {
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
    "reviewers": ReviewerSitemap,
    "contributors": ContributorSitemap,
}
