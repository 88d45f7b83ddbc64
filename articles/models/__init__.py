"""Editorial models: the draft an editor edits, and the immutable revisions the public reads."""

from articles.models.content import (
    Article,
    ArticleQuerySet,
    ArticleType,
    Comparison,
    Contributor,
    FAQEntry,
    SlugRedirect,
    Takeaway,
    Topic,
)
from articles.models.revisions import (
    ArticleRevision,
    RevisionCitation,
    RevisionImmutableError,
    RevisionQuerySet,
)
from articles.models.site import CorrectionNote, ProblemReport, SitePage  # noqa: F401
from articles.models.workflow import ScheduledPublication

__all__ = [
    "Article",
    "ArticleQuerySet",
    "ArticleRevision",
    "ArticleType",
    "Comparison",
    "Contributor",
    "FAQEntry",
    "RevisionCitation",
    "RevisionImmutableError",
    "RevisionQuerySet",
    "ScheduledPublication",
    "SlugRedirect",
    "Takeaway",
    "Topic",
]
