"""The public side: immutable revisions of an article, and the citations each one carries."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from articles.content.snapshot import content_hash
from reviews.approvals import ApprovalPolicy
from reviews.db import append_only_trigger
from reviews.models import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet


class RevisionImmutableError(AppendOnlyError):
    """Raised on any attempt to change or delete a stored revision or its citation links."""


class _ImmutableModel(AppendOnlyModel):
    """
    Rows that are written once and never changed: a revision is what a physician signs.

    The guard (in `reviews.models.AppendOnlyModel`, shared with sign-offs) lives in
    `save()`/`delete()` and the queryset because it is an invariant of the record, not a
    workflow: every path that writes through the ORM meets it.
    """

    append_only_error = RevisionImmutableError

    class Meta:
        abstract = True


class RevisionQuerySet(AppendOnlyQuerySet):
    """Revisions; reads only."""

    def latest_for(self, article) -> "ArticleRevision | None":
        """The highest-numbered revision of `article`, or None."""
        return self.filter(article=article).order_by("-number").first()


class ArticleRevision(_ImmutableModel):
    """
    An immutable snapshot of everything a reader sees in one article's content.

    `snapshot` follows the format in docs/architecture.md and `content_hash` is the SHA-256 of
    its canonical serialisation (`articles.content.snapshot`). A sign-off signs that hash, so a
    revision is never updated or deleted: changed content makes a new revision with the next
    `number`.
    """

    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.PROTECT,
        related_name="revisions",
        help_text="The article this is a version of.",
    )
    number = models.PositiveIntegerField(help_text="1, 2, 3 ... within the article.")
    snapshot = models.JSONField(help_text="The reader-visible content, frozen.")
    content_hash = models.CharField(
        max_length=64, db_index=True, help_text="SHA-256 of the snapshot; what reviewers sign."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="article_revisions",
        help_text="Who saved the content that made this revision.",
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When it was made.")
    editor_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="Logins that wrote or edited this content since the last approval; none of "
        "them may approve it.",
    )
    byline_user_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="Logins of the authors on the byline when this revision was made; none of "
        "them may approve it.",
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["article", "-number"]
        get_latest_by = "number"
        triggers = [append_only_trigger()]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self):
        return f"{self.article_id} revision {self.number}"

    @property
    def hash_prefix(self) -> str:
        """The first 12 characters of the hash, enough to tell revisions apart by eye."""
        return self.content_hash[:12]

    def compute_hash(self) -> str:
        """Recompute the content hash from the stored snapshot (to detect tampering)."""
        return content_hash(self.snapshot)

    def approval_policy(self) -> ApprovalPolicy:
        """
        How many physicians must approve this revision, of which specialties: the strictest
        policy of its article's topics, as they are now (topics are not part of the signed
        content; a site administrator sets the policies).
        """
        return ApprovalPolicy.combine(t.approval_policy() for t in self.article.topics.all())

    def clean(self):
        if self.snapshot is not None and self.content_hash != self.compute_hash():
            raise ValidationError({"content_hash": "The hash does not match the snapshot."})


class RevisionCitation(_ImmutableModel):
    """One citation of a revision, in reference-list order (1-based `position`)."""

    revision = models.ForeignKey(
        ArticleRevision,
        on_delete=models.PROTECT,
        related_name="citation_links",
        help_text="The revision that cites the source.",
    )
    citation = models.ForeignKey(
        "references.Citation",
        on_delete=models.PROTECT,
        related_name="revision_links",
        help_text="The cited source.",
    )
    position = models.PositiveIntegerField(help_text="Its number in the reference list.")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "position"]
        triggers = [append_only_trigger()]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "position"], name="revisioncitation_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="revisioncitation_position_positive"
            ),
        ]

    def __str__(self):
        return f"[{self.position}] {self.citation_id}"
