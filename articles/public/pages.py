"""
The public pages around the articles: review history, review board, editorial policy, search,
"Report a problem with this page", and robots.txt.

Short views over the public gate (`articles.public.selectors`) and the reviews app's selectors, like
`articles.public.views`; the article page itself and its cache live in `articles.public.views` and
`articles.public.cache`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from articles.content.models import Article
from articles.content.sanitize import sanitize_html
from articles.public import feedback, selectors
from articles.public.models import EDITORIAL_POLICY_SLUG, SitePage
from articles.public.search import normalise_query, search_live
from articles.public.site_defaults import EDITORIAL_POLICY_HTML, EDITORIAL_POLICY_TITLE
from articles.publishing.structured_data import absolute_url
from reviews.models import AuditEvent, ReviewerProfile
from reviews.selectors import signoffs_for_article


def _live_article_or_404(slug: str) -> Article:
    try:
        return selectors.article_get_public(slug=slug)
    except Article.DoesNotExist:
        raise Http404("No such article") from None


def _content_updates(article: Article) -> list[dict]:
    """
    The revisions that went live, newest first, with when: from the audit trail's "published"
    events. A live revision with no such event (published before the trail, or by a data
    import) is listed with its creation date, so the live version is always accounted for.
    """
    events = (
        AuditEvent.objects.filter(article=article, action=AuditEvent.Action.PUBLISHED)
        .exclude(revision=None)
        .select_related("revision")
        .only("at", "revision__number")
        .order_by("-at", "-pk")
    )
    updates = [{"number": e.revision.number, "at": e.at} for e in events]
    live = article.live_revision
    if all(update["number"] != live.number for update in updates):
        updates.append({"number": live.number, "at": article.first_published_at or live.created_at})
        updates.sort(key=lambda update: update["at"], reverse=True)
    return updates


@require_safe
def review_history(request, slug):
    """Every physician approval of the page, its content updates and public correction notes."""
    article = _live_article_or_404(slug)
    # Only real approvals: of the exact content signed, by a physician not revoked.
    approvals = signoffs_for_article(article.pk).valid_approvals()
    return render(
        request,
        "articles/review_history.html",
        {
            "article": article,
            "title": article.live_revision.snapshot.get("title", ""),
            "topics": list(article.topics.all()),
            "approvals": approvals,
            "updates": _content_updates(article),
            "corrections": article.correction_notes.all(),
        },
    )


@require_safe
def review_board(request):
    """The medical review board: every verified reviewing physician."""
    reviewers = ReviewerProfile.objects.verified().order_by("printed_name")
    return render(request, "articles/review_board.html", {"reviewers": reviewers})


@require_safe
def editorial_policy(request):
    """The editorial policy, as an admin last edited it (the built-in text if never)."""
    page = SitePage.objects.filter(slug=EDITORIAL_POLICY_SLUG).first()
    if page is None:
        title, body, updated_at = EDITORIAL_POLICY_TITLE, EDITORIAL_POLICY_HTML, None
    else:
        title, body, updated_at = page.title, page.body, page.updated_at
    return render(
        request,
        "articles/site_page.html",
        {
            "title": title,
            # Sanitised on save too; again here because it is HTML reaching every reader.
            "body": mark_safe(sanitize_html(body)),  # noqa: S308
            "updated_at": updated_at,
        },
    )


@require_safe
def search(request):
    """Search results over live pages (`articles.public.search`)."""
    query = normalise_query(request.GET.get("q"))
    results = search_live(query)
    return render(request, "articles/search.html", {"query": query, "results": results})


@require_http_methods(["GET", "HEAD", "POST"])
def report_problem(request, slug):
    """
    "Report a problem with this page": the form (GET), and storing a report (POST).

    The form has its own page rather than sitting inside the article page because a form
    carries a per-visitor CSRF token, and the article page is served to everyone from one
    cached copy. Answers 413 to an oversized body and 429 when the sender is over the limit.
    """
    article = _live_article_or_404(slug)
    context = {"article": article, "title": article.live_revision.snapshot.get("title", "")}
    if request.method != "POST":
        context["form"] = feedback.ProblemReportForm()
        return render(request, "articles/report_problem.html", context)
    if feedback.body_too_large(request):
        context["form"] = feedback.ProblemReportForm()
        context["error"] = "Your report is too long to send. Please shorten it and try again."
        return render(request, "articles/report_problem.html", context, status=413)
    form = feedback.ProblemReportForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "articles/report_problem.html", context, status=400)
    thanks = reverse("articles:report_thanks", kwargs={"slug": article.slug})
    if form.is_spam():
        # Thank the bot as if it had worked and store nothing: it learns nothing to adapt to.
        return redirect(thanks)
    sender = feedback.ip_hash(request)
    if feedback.rate_limited(sender):
        context["error"] = (
            "You have sent several reports in the last hour. Thank you; please try again later."
        )
        return render(request, "articles/report_problem.html", context, status=429)
    feedback.problem_report_create(
        article=article,
        message=form.cleaned_data["message"],
        email=form.cleaned_data["email"],
        sender_hash=sender,
    )
    messages.success(request, "Thank you. Your report has been sent to our editors.")
    return redirect(thanks)


@require_safe
def report_thanks(request, slug):
    """Where a report's sender lands: the thank-you message and a way back to the page."""
    article = _live_article_or_404(slug)
    return render(
        request,
        "articles/report_thanks.html",
        {"article": article, "title": article.live_revision.snapshot.get("title", "")},
    )


@require_safe
def robots_txt(request):
    """robots.txt: everything public may be crawled except the admin, previews and search."""
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        # Everything under the preview's first path segment (/preview/).
        f"Disallow: /{reverse('articles:preview', kwargs={'pk': 1}).split('/')[1]}/",
        f"Disallow: {reverse('articles:search')}",
        "",
        f"Sitemap: {absolute_url(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
