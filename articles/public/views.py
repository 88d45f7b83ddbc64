"""Public pages and the staff preview: short views over the selectors."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.content.models import Article, ArticleRevision, Contributor, Topic
from articles.content.permissions import can_preview
from articles.public import selectors
from articles.publishing import selectors as publishing_selectors
from articles.publishing.presentation import article_page_context
from articles.publishing.review_state import review_state_for
from reviews.models import ReviewerProfile

HOME_FEATURED = 4
HOME_LATEST = 10
RELATED = 6


@require_safe
def home(request):
    """Featured and latest live articles, and the topics that have any."""
    return render(
        request,
        "articles/home.html",
        {
            "featured": selectors.article_list_public(featured=True)[:HOME_FEATURED],
            "latest": selectors.article_list_public()[:HOME_LATEST],
            "topics": selectors.topic_list_public(),
        },
    )


@require_safe
def topic_detail(request, slug):
    """One topic and its live articles."""
    try:
        topic = selectors.topic_get_public(slug=slug)
    except Topic.DoesNotExist:
        raise Http404("No such topic") from None
    articles = selectors.article_list_public(topic=topic)
    return render(request, "articles/topic_detail.html", {"topic": topic, "articles": articles})


@require_safe
def contributor_detail(request, slug):
    """A contributor's profile and the live articles they wrote."""
    try:
        contributor = selectors.contributor_get_public(slug=slug)
    except Contributor.DoesNotExist:
        raise Http404("No such contributor") from None
    articles = selectors.article_list_public(author=contributor)
    return render(
        request,
        "articles/contributor_detail.html",
        {"contributor": contributor, "articles": articles},
    )


@require_safe
def reviewer_detail(request, slug):
    """A verified reviewing physician's public profile and the live pages they approved."""
    try:
        profile = selectors.reviewer_get_public(slug=slug)
    except ReviewerProfile.DoesNotExist:
        raise Http404("No such reviewer") from None
    return render(
        request,
        "articles/reviewer_detail.html",
        {"profile": profile, "articles": selectors.article_list_public(reviewer=profile)},
    )


@require_safe
def article_detail(request, slug):
    """
    The live, physician-approved revision of an article, with its review stamp.

    A former slug answers 301 to the current address. A page withdrawn because its review
    lapsed (when the withdraw setting is on) is 404. A live revision whose stored content no
    longer matches what was signed is never shown: readers get an "under review" notice.
    """
    try:
        article = selectors.article_get_public(slug=slug)
    except Article.DoesNotExist:
        target = selectors.article_redirect_get_public(old_slug=slug)
        if target is None:
            raise Http404("No such article") from None
        return redirect(target, permanent=True)
    review = review_state_for(article=article, revision=article.live_revision, now=timezone.now())
    if review.withdrawn:
        raise Http404("This page is withdrawn until its medical review is renewed")
    if not (review.show_stamp or review.taken_back):
        response = render(request, "articles/under_review.html", status=503)
        response["Retry-After"] = "3600"
        return response
    context = article_page_context(article=article, revision=article.live_revision)
    context["related"] = _related(article, context["topics"])
    context["review"] = review
    return render(request, "articles/article_detail.html", context)


@staff_member_required
@require_safe
def revision_preview(request, pk):
    """
    Any revision exactly as its public page would look, never indexed.

    Only for staff who may view that article in the admin (editors) or review it (reviewing
    physicians): a preview shows unreviewed text.
    """
    try:
        revision = publishing_selectors.revision_get_for_preview(revision_id=pk)
    except ArticleRevision.DoesNotExist:
        raise Http404("No such revision") from None
    if not can_preview(request.user, revision.article):
        raise PermissionDenied
    context = article_page_context(article=revision.article, revision=revision)
    context["related"] = _related(revision.article, context["topics"])
    context["preview"] = True
    context["review"] = review_state_for(
        article=revision.article, revision=revision, now=timezone.now()
    )
    response = render(request, "articles/article_detail.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # A preview may show unreviewed text: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def _related(article, topics):
    if not topics:
        return []
    return list(selectors.article_list_public(topics=topics, exclude=article)[:RELATED])
