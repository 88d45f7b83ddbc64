"""Publication scheduled for later: one pending row per article, consumed by `publish_scheduled`."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone


class ScheduledPublication(models.Model):
    """
    An approved revision to be published at `publish_at`.

    At most one per article: scheduling again replaces the pending row, and publishing (now or
    by the scheduled run) or unpublishing deletes it. The approval is checked when the row is
    made and again when it is carried out, so nothing is published that is not signed then.
    The history of scheduling lives in the audit trail, not here.
    """

    article = models.OneToOneField(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="scheduled_publication",
        help_text="The article to publish.",
    )
    revision = models.ForeignKey(
        "articles.ArticleRevision",
        on_delete=models.PROTECT,
        related_name="scheduled_publications",
        help_text="The approved revision that will go live.",
    )
    publish_at = models.DateTimeField(
        db_index=True, help_text="When the revision goes live (checked every minute)."
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="scheduled_publications",
        help_text="Who scheduled it; the publication is made in their name.",
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When it was scheduled.")

    class Meta:
        ordering = ["publish_at"]

    def __str__(self):
        return f"{self.article_id}: revision {self.revision_id} at {self.publish_at:%Y-%m-%d %H:%M}"


class PublicationQuerySet(models.QuerySet):
    """Named filters of publication records; every public read starts here."""

    def public(self, *, now=None):
        """
        Records the public may see now: all of them, except (with the withdraw setting on)
        those whose review lapsed past the grace period, computed at read time.
        """
        from reviews import policy

        if policy.withdraw_overdue_enabled():
            now = now or timezone.now()
            return self.filter(models.Q(withdraw_at__isnull=True) | models.Q(withdraw_at__gt=now))
        return self

    def newest_first(self):
        """Newest publication first: the order of every list."""
        return self.order_by("-published_at", "-id")


class Publication(models.Model):
    """
    What the public may see of one live article: **the public read model**.

    One row per live article, written only by `articles.publishing.publication` in the
    transaction of the change that causes it (publish, unpublish, a later decision, a
    revocation, detected tampering, a re-review, a change of the article's topics, authors or
    address). It holds the revision and the approval in force, the page's HTML rendered once
    from the signed snapshot, the JSON-LD, and the columns lists show and sort by, so every
    public page is one indexed query. The review status is not stored: it is worked out at read
    time from `next_review_due` by the review policy. A `seal` (HMAC keyed by the site's
    `SECRET_KEY`, which is not in the database) binds the columns together; a record whose
    seal or HTML hash does not verify is never shown.
    """

    class State(models.TextChoices):
        CURRENT = "current", "Approval in force"
        TAKEN_BACK = "taken_back", "Approval taken back (notice shown)"

    article = models.OneToOneField(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="publication",
        help_text="The live article.",
    )
    revision = models.ForeignKey(
        "articles.ArticleRevision",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The live revision.",
    )
    signoff = models.ForeignKey(
        "reviews.SignOff",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The approval the page was published under (in force when written).",
    )
    taken_back_by = models.ForeignKey(
        "reviews.SignOff",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The later decision that took the approval back, if any.",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.CURRENT)
    revision_number = models.PositiveIntegerField(default=1)
    rereview = models.BooleanField(
        default=False, help_text="The approval re-reviewed content approved before."
    )
    content_hash = models.CharField(max_length=64, help_text="The signed content hash.")
    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=200)
    standfirst = models.CharField(max_length=300, blank=True)
    featured = models.BooleanField(default=False)
    topics = models.JSONField(default=list, help_text="[{id, name, slug, is_condition}]")
    authors = models.JSONField(default=list, help_text="[{name, credentials, slug}]")
    source_alerts = models.JSONField(
        default=list,
        blank=True,
        help_text="Sources the page cites that were retracted or put under an expression of "
        "concern after its approval in force: [{number, pmid, doi, status, label, date}]. "
        "From the citations' notices, outside the signed content; the page is 'under review' "
        "while this is not empty.",
    )
    co_reviewers = models.JSONField(
        default=list,
        blank=True,
        help_text="When the page's approval policy needs several physicians: the others whose "
        "approvals in standing met it, newest first: [{signoff_id, name, credentials, slug, "
        "signed_at}]. The stamp and JSON-LD name them with the reviewer.",
    )
    original_published_on = models.DateField(
        null=True,
        blank=True,
        help_text="The article's first publication on the site it was imported from, if any.",
    )
    legacy_reviews = models.JSONField(
        default=list,
        blank=True,
        help_text="Reviews the previous site claimed, as imported (not sign-offs): "
        "[{reviewer, date}]. Shown only with SHOW_LEGACY_REVIEWS; never in JSON-LD nor in the "
        "attestation.",
    )
    reviewer = models.ForeignKey(
        "reviews.ReviewerProfile", on_delete=models.PROTECT, related_name="+"
    )
    reviewer_name = models.CharField(max_length=150)
    reviewer_credentials = models.CharField(max_length=60)
    reviewer_slug = models.SlugField(max_length=150)
    published_at = models.DateTimeField(help_text="When the article first went live.")
    updated_at = models.DateTimeField(help_text="When the live content was last changed.")
    last_reviewed_at = models.DateTimeField(help_text="When the approval was signed.")
    next_review_due = models.DateTimeField(help_text="When the next review is due.")
    review_interval_days = models.PositiveIntegerField(
        null=True,
        help_text="The review interval in force for this approval: it may shorten (a topic's "
        "interval is cut), never lengthen, until a physician signs again.",
    )
    withdraw_at = models.DateTimeField(
        null=True, blank=True, help_text="When the page leaves the site if not re-reviewed."
    )
    reading_minutes = models.PositiveSmallIntegerField(default=1)
    html = models.TextField(help_text="The page's article content, rendered once.")
    html_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the stored HTML, JSON-LD and search text."
    )
    json_ld = models.TextField(help_text="The page's JSON-LD, escaped for a script element.")
    search_text = models.TextField(blank=True, help_text="Plain text for search.")
    # PostgreSQL full-text vector (title A, standfirst B, text C), written with the record;
    # unused on SQLite, which searches `search_text`.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    render_version = models.PositiveIntegerField(default=0)
    generation = models.PositiveIntegerField(
        default=1, help_text="Grows with every write: part of ETags and cache keys."
    )
    written_at = models.DateTimeField(default=timezone.now, help_text="When it was last written.")
    seal = models.CharField(max_length=64)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="publication_newest"),
            models.Index(fields=["featured", "-published_at"], name="publication_featured"),
            models.Index(fields=["reviewer", "-published_at"], name="publication_reviewer"),
            models.Index(fields=["-last_reviewed_at", "-id"], name="publication_reviewed"),
            models.Index(fields=["next_review_due"], name="publication_due"),
        ]

    def __str__(self):
        return f"{self.slug} (revision {self.revision_id})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("articles:detail", kwargs={"slug": self.slug})


class PublicationTopic(models.Model):
    """
    A public article's topic, for topic pages and counts: one row per (record, topic), written
    with the record, so lists by topic read an index instead of the article's own topics.
    """

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="topic_links"
    )
    topic = models.ForeignKey(
        "articles.Topic", on_delete=models.CASCADE, related_name="publication_links"
    )
    # The record's `published_at`, copied so a topic page reads its newest first from one index.
    published_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "publication"], name="publicationtopic_once")
        ]
        indexes = [
            models.Index(
                fields=["topic", "-published_at", "-publication"], name="publicationtopic_newest"
            )
        ]

    def __str__(self):
        return f"{self.publication_id} in topic {self.topic_id}"
