"""
The public pages around the articles: review history, review board, editorial policy, search,
"Report a problem with this page", and robots.txt.

Short views over the public gate (`articles.public.selectors`) and the reviews app's selectors, like
`articles.public.views`; the article page itself and its cache live in `articles.public.views` and
`articles.public.cache`.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from articles.content.models import Article, ArticleRevision
from articles.content.sanitize import sanitize_html
from articles.public import feedback, freshness, selectors
from articles.public.models import EDITORIAL_POLICY_SLUG, CorrectionNote, SitePage
from articles.public.search import normalise_query, search_public
from articles.public.site_defaults import EDITORIAL_POLICY_HTML, EDITORIAL_POLICY_TITLE
from articles.public.views import render_list
from articles.publishing.models import Publication
from articles.publishing.structured_data import absolute_url
from reviews.models import AuditEvent, ReviewerProfile, SignOff
from reviews.selectors import signoffs_for_article
from reviews.services.integrity import signoff_signature_holds


def _public_or_404(slug: str) -> Publication:
    """The page's publication record (the public gate), or 404."""
    records = selectors.sound(selectors.publication_list_public().filter(slug=slug))
    if not records:
        raise Http404("No such article")
    return records[0]


def _article_of(record: Publication) -> Article:
    """The article behind a record, as far as the feedback and history need it (no query)."""
    return Article(pk=record.article_id, live_revision_id=record.revision_id, slug=record.slug)


def _content_updates(record: Publication) -> list[dict]:
    """
    The revisions that went live, newest first, with when: from the audit trail's "published"
    events. A live revision with no such event (published before the trail, or by a data
    import) is listed with its creation date, so the live version is always accounted for.
    """
    events = (
        AuditEvent.objects.filter(
            article_id=record.article_id, action=AuditEvent.Action.PUBLISHED
        )
        .exclude(revision=None)
        .select_related("revision")
        .only("at", "revision__number")
        .order_by("-at", "-pk")
    )
    updates = [
        {"revision_id": e.revision_id, "number": e.revision.number, "at": e.at} for e in events
    ]
    if all(update["revision_id"] != record.revision_id for update in updates):
        live = ArticleRevision.objects.only("number").get(pk=record.revision_id)
        updates.append({"revision_id": live.pk, "number": live.number, "at": record.published_at})
        updates.sort(key=lambda update: update["at"], reverse=True)
    return updates


@require_safe
def review_history(request, slug):
    """Every physician approval of the page, its content updates and public correction notes."""
    record = _public_or_404(slug)
    # Only real approvals: of the exact content signed, by a physician not revoked.
    # An approval a later decision took back says so (the newest decision on a revision wins).
    later_changes = SignOff.objects.filter(
        revision_id=OuterRef("revision_id"),
        pk__gt=OuterRef("pk"),
        decision=SignOff.Decision.CHANGES_REQUESTED,
    ).order_by("pk")
    # A row written into the table without the site's key (a forgery) is never shown.
    approvals = [
        approval
        for approval in signoffs_for_article(record.article_id)
        .valid_approvals()
        .annotate(taken_back_at=Subquery(later_changes.values("signed_at")[:1]))
        if signoff_signature_holds(approval)
    ]
    corrections = list(CorrectionNote.objects.filter(article_id=record.article_id))
    response = render(
        request,
        "articles/review_history.html",
        {
            "article": record,
            "title": record.title,
            "topics": [
                {"name": t["name"], "url": reverse("articles:topic", kwargs={"slug": t["slug"]})}
                for t in record.topics
            ],
            "approvals": approvals,
            "updates": _content_updates(record),
            "corrections": corrections,
        },
    )
    # Correction notes are written outside publishing: they are part of the version.
    notes = ",".join(f"{n.pk}:{n.published_at.timestamp()}" for n in corrections)
    return freshness.attach(
        response, freshness.of_record(record, timezone.now(), extra=f".{notes}")
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
    """Search results over public pages (`articles.public.search`), 20 a page."""
    query = normalise_query(request.GET.get("q"))
    now = timezone.now()
    return render_list(
        request, "articles/search.html", {"query": query}, search_public(query), now=now,
        key="results", version=f"q{query}",
    )


@require_http_methods(["GET", "HEAD", "POST"])
def report_problem(request, slug):
    """
    "Report a problem with this page": the form (GET), and storing a report (POST).

    The form has its own page rather than sitting inside the article page because a form
    carries a per-visitor CSRF token, and the article page is served to everyone from one
    cached copy. Answers 413 to an oversized body and 429 when the sender is over the limit.
    """
    record = _public_or_404(slug)
    article = _article_of(record)
    context = {"article": record, "title": record.title}
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
    thanks = reverse("articles:report_thanks", kwargs={"slug": record.slug})
    if form.is_spam():
        # Thank the bot as if it had worked and store nothing: it learns nothing to adapt to.
        return redirect(thanks)
    sender = feedback.ip_hash(request)
    refusal = feedback.report_refusal(sender_hash=sender, article_id=article.pk)
    if refusal is not None:
        context["error"] = refusal
        status = 503 if refusal == feedback.LIMIT_UNAVAILABLE else 429
        return render(request, "articles/report_problem.html", context, status=status)
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
    record = _public_or_404(slug)
    return render(
        request, "articles/report_thanks.html", {"article": record, "title": record.title}
    )


@require_safe
def robots_txt(request):
    """
    robots.txt: everything public may be crawled except the admin, previews, search and the
    physicians' calendar feeds.
    """
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        # Everything under the preview's first path segment (/preview/).
        f"Disallow: /{reverse('articles:preview', kwargs={'pk': 1}).split('/')[1]}/",
        f"Disallow: {reverse('articles:search')}",
        # Physicians' private calendar feeds (never linked; their responses say noindex too).
        f"Disallow: /{reverse('articles:review_feed', args=[1, 'x']).split('/')[1]}/",
        "",
        f"Sitemap: {absolute_url(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
