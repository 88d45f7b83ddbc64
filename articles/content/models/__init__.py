"""Draft models and the immutable revisions made from them."""

from articles.content.models.drafts import (
    Article,
    ArticleQuerySet,
    ArticleType,
    Comparison,
    Contributor,
    FAQEntry,
    ReferenceNote,
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

__all__ = [
    "Article",
    "ArticleQuerySet",
    "ArticleRevision",
    "ArticleType",
    "Comparison",
    "Contributor",
    "FAQEntry",
    "ReferenceNote",
    "RevisionCitation",
    "RevisionImmutableError",
    "RevisionQuerySet",
    "SlugRedirect",
    "Takeaway",
    "Topic",
]
