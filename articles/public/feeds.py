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
from django.db.models import Exists, F, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from articles.content.models import Article
from articles.publishing.structured_data import absolute_url
from reviews.log import log_state, signed_tree_head
from reviews.models import SignOff

FEED_SIZE = 30


def feed_signoffs(limit: int = FEED_SIZE):
    """The approvals the feed lists, newest first, each with the page's live title."""
    earlier = SignOff.objects.approvals().filter(
        revision_id=OuterRef("revision_id"), pk__lt=OuterRef("pk")
    )
    # Only pages whose live revision still has an approval in force: a page whose approval
    # was taken back is not announced as reviewed.
    in_force = SignOff.objects.in_force().filter(revision_id=OuterRef("revision_id"))
    return (
        SignOff.objects.valid_approvals()
        .filter(
            Exists(in_force),
            revision__article__in=Article.objects.live().values("pk"),
            revision__article__live_revision_id=F("revision_id"),
        )
        .annotate(
            page_title=KeyTextTransform("title", "revision__snapshot"),
            page_standfirst=KeyTextTransform("standfirst", "revision__snapshot"),
            is_rereview=Exists(earlier),
        )
        .select_related("revision__article")
        .only(
            "pk", "printed_name", "credentials", "signed_at",
            "revision__number", "revision__article__slug",
        )
        .order_by("-signed_at", "-pk")[:limit]
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

    def feed_extra_kwargs(self, obj):
        head = signed_tree_head(log_state(), now=timezone.now())
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

    def items(self):
        return feed_signoffs()

    def item_title(self, item):
        return item.page_title

    def item_description(self, item):
        if item.is_rereview:
            what = "Re-reviewed"
        elif item.revision.number == 1:
            what = "Published"
        else:
            what = "Updated"
        reviewed = f"{what}: medically reviewed by {item.printed_name}, {item.credentials}."
        return f"{reviewed} {item.page_standfirst or ''}".strip()

    def item_link(self, item):
        return absolute_url(item.revision.article.get_absolute_url())

    def item_guid(self, item):
        # A tag URI (RFC 4151) on the site's host: unique per sign-off, and stable when the
        # page's slug changes, unlike a URL.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{item.signed_at:%Y-%m-%d}:signoff-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.signed_at

    def item_updateddate(self, item):
        return item.signed_at
