"""Publication scheduled for later: one pending row per article, consumed by `publish_scheduled`."""

from django.conf import settings
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
