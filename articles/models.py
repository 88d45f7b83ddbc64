"""
The app's models, gathered for Django (and for tests) from the three parts of the app: the
draft and its immutable revisions (`content`), schedules and the publication record
(`publishing`), and the public site's own pages and reader reports (`public`). Code inside the
app imports from those parts, so that imports flow public → publishing → content.
"""

from articles.content.models.drafts import (
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
from articles.content.models.revisions import (
    ArticleRevision,
    RevisionCitation,
    RevisionImmutableError,
    RevisionQuerySet,
)
from articles.public.models import CorrectionNote, ProblemReport, SitePage
from articles.publishing.models import ScheduledPublication

__all__ = [
    "Article",
    "ArticleQuerySet",
    "ArticleRevision",
    "ArticleType",
    "CorrectionNote",
    "ProblemReport",
    "SitePage",
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
