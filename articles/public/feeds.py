"""
The Atom feed (`/feed/`): newly published and newly re-reviewed pages.

One entry per physician approval of a page's live revision, newest first. A first approval of
new content is news ("Published" or "Updated"), and so is a periodic re-review of unchanged
content (a new sign-off on the same revision): both tell a reader that a physician looked at
the page again. Each entry's `updated` is the signing time and its `id` is unique per
sign-off (a tag URI), so a re-review is a new entry
rather than an edit of an old one.

Entries come through the public gate (`Article.objects.live()`): approvals of revisions that are
not live, or whose signed hash is not the revision's, never appear.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from articles.public import freshness, selectors
from articles.publishing.models import Publication
from articles.publishing.structured_data import absolute_url
from reviews.log import latest_signed_tree_head

FEED_SIZE = 30


def feed_records(limit: int = FEED_SIZE) -> list[Publication]:
    """
    Public pages whose approval is in force, most recently reviewed first: one entry each,
    for their latest review (publication, update or re-review).
    """
    return selectors.sound(
        selectors.publication_list_public()
        .filter(state=Publication.State.CURRENT)
        .order_by("-last_reviewed_at", "-id")[:limit]
    )


# The namespace of the sign-off log's tree head in the feed (an Atom extension element).
LOG_NAMESPACE = "urn:healthpages:signoff-log"


class TreeHeadAtomFeed(Atom1Feed):
    """
    Atom 1.0 with the sign-off log's signed tree head in the feed element, so that every feed
    reader that keeps old copies also keeps old tree heads: proof of history as it was.
    """

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:log": LOG_NAMESPACE}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        head = self.feed.get("tree_head")
        if head:
            handler.addQuickElement(
                "link",
                "",
                {"rel": "related", "type": "application/json", "href": head["url"]},
            )
            payload = head["payload"]
            handler.addQuickElement(
                "log:treeHead",
                head["jws"],
                {
                    "size": str(payload["tree_size"]),
                    "root": payload["root_hash"],
                    "timestamp": payload["timestamp"],
                },
            )


class ReviewedPagesFeed(Feed):
    """Newly published and newly re-reviewed pages (Atom 1.0), with the log's tree head."""

    feed_type = TreeHeadAtomFeed

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request: per-request data rides on the request.
        now = timezone.now()
        request.feed_records = feed_records()
        response = super().__call__(request, *args, **kwargs)
        return freshness.attach(
            response, freshness.of_list(request.feed_records, now, extra=".feed")
        )

    def get_object(self, request, *args, **kwargs):
        return request.feed_records

    def feed_extra_kwargs(self, obj):
        # Dated by the newest entry, not the request: the same log gives the same bytes, so
        # the feed can be validated (ETag) and cached like any public page.
        head = latest_signed_tree_head()
        head["url"] = absolute_url(reverse("transparency:tree_head"))
        return {"tree_head": head}

    def title(self):
        return f"{settings.SITE_NAME}: new and re-reviewed pages"

    def subtitle(self):
        return "Each entry is a physician's approval of a page, newest first."

    def link(self):
        return absolute_url(reverse("articles:home"))

    def feed_url(self):
        return absolute_url(reverse("articles:feed"))

    def author_name(self):
        return settings.SITE_NAME

    def items(self, records):
        return records

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        if item.rereview:
            what = "Re-reviewed"
        elif item.revision_number == 1:
            what = "Published"
        else:
            what = "Updated"
        reviewed = (
            f"{what}: medically reviewed by {item.reviewer_name}, {item.reviewer_credentials}."
        )
        return f"{reviewed} {item.standfirst or ''}".strip()

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_guid(self, item):
        # A tag URI (RFC 4151) on the site's host: unique per review (sign-off), and stable
        # when the page's slug changes, unlike a URL.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{item.last_reviewed_at:%Y-%m-%d}:signoff-{item.signoff_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.last_reviewed_at

    def item_updateddate(self, item):
        return item.last_reviewed_at
