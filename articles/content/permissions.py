"""
Who may see what is not public yet: one module for the checks that views and the admin share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviews.models import ReviewerProfile

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.content.models import Article


def can_sign_here(user: AbstractBaseUser) -> bool:
    """Whether the review screen offers `user` the signing form (the service still decides)."""
    if not (user.is_active and user.is_staff):
        return False
    return (
        user.has_perm("reviews.sign_revision")
        or ReviewerProfile.objects.filter(user_id=user.pk).exists()
    )


def can_view_reviews(user: AbstractBaseUser) -> bool:
    """Reviewers, and editors (read-only), may see the queue and the review screen."""
    return can_sign_here(user) or (user.is_staff and user.has_perm("articles.view_article"))


def can_preview(user: AbstractBaseUser, article: Article) -> bool:
    """
    Whether `user` may preview unpublished revisions of `article`.

    `article` is passed so that object-level permissions can be added here without touching
    the callers; today the rule is per role.

    Those who may view the article in the admin (`articles.view_article`, which Editors and
    Site admins hold) and reviewing physicians, who must read what they sign. Other staff
    (for example someone who only manages references) may not.
    """
    if not (user.is_active and user.is_staff):
        return False
    return user.has_perm("articles.view_article") or can_sign_here(user)


def can_view_due_reviews(user: AbstractBaseUser) -> bool:
    """
    Whether `user` may see which live pages are due for review and what is scheduled: the
    month calendar (staff who may view articles: Editors, Reviewers, Site admins).
    """
    return bool(user.is_active and user.is_staff and user.has_perm("articles.view_article"))
