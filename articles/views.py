"""Public pages and the staff preview: short views over the selectors."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from articles import selectors
from articles.models import Article, ArticleRevision, Contributor, Topic
from articles.presentation import article_page_context

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
def article_detail(request, slug):
    """The live revision of an article; a former slug answers 301 to the current address."""
    try:
        article = selectors.article_get_public(slug=slug)
    except Article.DoesNotExist:
        target = selectors.article_redirect_get_public(old_slug=slug)
        if target is None:
            raise Http404("No such article") from None
        return redirect(target, permanent=True)
    context = article_page_context(article=article, revision=article.live_revision)
    context["related"] = _related(article, context["topics"])
    return render(request, "articles/article_detail.html", context)


@staff_member_required
@require_safe
def revision_preview(request, pk):
    """Any revision exactly as its public page would look, for staff, never indexed."""
    try:
        revision = selectors.revision_get_for_preview(revision_id=pk)
    except ArticleRevision.DoesNotExist:
        raise Http404("No such revision") from None
    context = article_page_context(article=revision.article, revision=revision)
    context["related"] = _related(revision.article, context["topics"])
    context["preview"] = True
    response = render(request, "articles/article_detail.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # A preview may show unreviewed text: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def _related(article, topics):
    if not topics:
        return []
    return list(selectors.article_list_public(topics=topics, exclude=article)[:RELATED])
