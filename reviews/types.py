"""
What the reviews app needs of the things it reviews, as protocols.

`reviews` never imports `articles` (not even for type hints): a revision is anything with these
attributes, which `articles.content.models.ArticleRevision` provides.
"""

from __future__ import annotations

from typing import Any, Protocol


class Reviewable(Protocol):
    """An article: something with a primary key."""

    pk: Any


class SignableRevision(Protocol):
    """An immutable revision of an article, as the signing service reads it."""

    pk: Any
    article_id: int
    article: Any
    number: int
    content_hash: str
    snapshot: dict[str, Any]
    created_by_id: int
    editor_ids: list[int]
    byline_user_ids: list[int]

    def compute_hash(self) -> str: ...

    def approval_policy(self) -> Any:
        """How many physicians must approve it, of which specialties (`reviews.approvals`)."""
        ...
