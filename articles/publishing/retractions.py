"""
Readers told at once when a source a live page cites is retracted or under an expression of
concern (issue 11).

The references app records a citation's notice (from PubMed, a PubMed file, Crossref or
Retraction Watch) and sends `citation_notices_changed` inside the same transaction; the receiver
here, in that transaction:

- flags every live page whose live revision cites the source (`needs_review`, with the reason;
  editors cannot clear it: only an approval signed after the flag does);
- opens a review request for the live revision, sent by the site, unless one is open;
- re-writes the page's publication record, whose `source_alerts` put a notice beside the stamp
  ("under review") and on the reference, and purge the shared caches.

Whether a page still needs the alert is a fact, not an event: a notice counts until a physician
approval signed after the notice was recorded (`retraction_recorded_at`) is in force. So a rerun
of `refresh_citations`, or any later publication sync, gives the same answer, and no alert can
be lost between two writes.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db.models import F
from django.utils import timezone

from articles.content.models import Article, ArticleRevision, RevisionCitation
from references.models import Citation
from reviews.models import AuditEvent, ReviewRequest, SignOff
from reviews.services import audit_record, review_request_create

logger = logging.getLogger(__name__)

# What a reader is told about a source, by its notice.
NOTICE_TEXT = {
    Citation.RetractionStatus.RETRACTED: "This source was retracted",
    Citation.RetractionStatus.RETRACTED_AND_REPUBLISHED: (
        "This source was retracted and replaced by a corrected version"
    ),
    Citation.RetractionStatus.PARTIAL_RETRACTION: "This source was retracted in part",
    Citation.RetractionStatus.EXPRESSION_OF_CONCERN: (
        "The journal published an expression of concern about this source"
    ),
}
UNDER_REVIEW = "Our physicians are reviewing this page."


def notice_date_text(value: str) -> str:
    """ "on 5 March 2021", "in March 2021", "in 2021", or "" from ISO text."""
    parts = [int(part) for part in value.split("-") if part.isdigit()] if value else []
    try:
        if len(parts) == 3:
            return f"on {date(*parts):%-d %B %Y}"
        if len(parts) == 2:
            return f"in {date(parts[0], parts[1], 1):%B %Y}"
    except ValueError:
        return ""
    return f"in {parts[0]}" if parts else ""


def notice_sentence(status: str, date_text: str) -> str:
    """ "This source was retracted on 5 March 2021." (the date left out when unknown)."""
    return f"{NOTICE_TEXT[status]}{' ' + date_text if date_text else ''}."


def _source_key(pmid: str | None, doi: str | None) -> str:
    """How a reference is matched to its citation: by PMID, else by DOI (a Crossref-only paper)."""
    return f"pmid:{pmid}" if pmid else f"doi:{(doi or '').lower()}"


def source_alerts_of(revision: ArticleRevision, approval: SignOff | None) -> list[dict]:
    """
    The sources `revision` cites under a notice that `approval` (the approval in force, if any)
    did not see: recorded after it was signed. In the page's reference order.
    """
    numbers = {
        _source_key(citation.get("pmid"), citation.get("doi")): number
        for number, citation in enumerate(revision.snapshot.get("citations", []), start=1)
        if citation.get("pmid") or citation.get("doi")
    }
    noticed = (
        Citation.objects.with_notice()
        .filter(revision_links__revision=revision)
        .order_by("pmid")
        .distinct()
    )
    alerts = []
    for citation in noticed:
        seen = (
            approval is not None
            and citation.retraction_recorded_at is not None
            and citation.retraction_recorded_at <= approval.signed_at
        )
        key = _source_key(citation.pmid, citation.doi)
        if seen or key not in numbers:
            continue
        date_text = notice_date_text(citation.retraction_date)
        alerts.append(
            {
                "number": numbers[key],
                "pmid": citation.pmid,
                "doi": citation.doi,
                "status": citation.retraction_status,
                "date": citation.retraction_date,
                "source": citation.retraction_source,
                "text": notice_sentence(citation.retraction_status, date_text),
                "notice_pmid": citation.retraction_notice_pmid,
            }
        )
    return sorted(alerts, key=lambda alert: alert["number"])


def on_citation_notices_changed(sender, *, citations, **kwargs) -> list[Article]:
    """The receiver of `references.signals.citation_notices_changed`."""
    return source_alerts_apply(citation_ids=[citation.pk for citation in citations])


def source_alerts_apply(*, citation_ids, now: datetime | None = None) -> list[Article]:
    """
    Flag, send for review and re-publish every live page citing one of these citations under
    a notice its approval has not seen. Returns the pages flagged. Call it inside the
    transaction that recorded the notices.
    """
    from articles.publishing.models import Publication
    from articles.publishing.publication import publication_sync

    now = now or timezone.now()
    citing = RevisionCitation.objects.filter(citation_id__in=list(citation_ids)).values(
        "revision_id"
    )
    flagged = []
    for article in Article.objects.select_for_update().filter(live_revision_id__in=citing):
        record = (
            Publication.objects.filter(article_id=article.pk)
            .select_related("revision", "signoff")
            .first()
        )
        alerts = source_alerts_of(article.live_revision, record.signoff if record else None)
        if record is not None and alerts != record.source_alerts:
            # Re-written only when what readers must be told changed: no purge otherwise.
            publication_sync(article=article, now=now)
        if alerts and _flag(article, alerts, now=now):
            flagged.append(article)
    if flagged:
        logger.warning("A cited source changed: %s live page(s) sent for review", len(flagged))
    return flagged


def _reason(alert: dict) -> str:
    notice = f" (notice: PMID {alert['notice_pmid']})" if alert.get("notice_pmid") else ""
    source = f"PMID {alert['pmid']}" if alert.get("pmid") else f"DOI {alert.get('doi')}"
    return (
        f"Reference {alert['number']} ({source}): {alert['text']}{notice} Replace "
        "or remove it, or confirm it, and send the page for a physician's review."
    )


def _flag(article: Article, alerts: list[dict], *, now: datetime) -> bool:
    """Flag the page and open a review request; False when it was flagged for all of these."""
    article = Article.objects.select_related("live_revision").get(pk=article.pk)
    reasons = [_reason(alert) for alert in alerts]
    new = [reason for reason in reasons if reason not in article.needs_review_reason]
    if not new and article.needs_review:
        return False
    Article.objects.filter(pk=article.pk).update(
        needs_review=True,
        needs_review_reason="\n".join(
            part for part in (article.needs_review_reason.strip(), *new) if part
        ),
        # Only an approval signed after now clears the flag; a form opened before now cannot
        # save it away (optimistic locking).
        updated_at=now,
        version=F("version") + 1,
    )
    open_request = ReviewRequest.objects.filter(
        revision__article_id=article.pk, state=ReviewRequest.State.OPEN
    ).exists()
    if not open_request:
        review_request_create(
            revision=article.live_revision,
            user=None,
            note="Sent by the site: " + " ".join(reasons),
            now=now,
        )
    audit_record(
        action=AuditEvent.Action.FLAGGED,
        article=article,
        revision=article.live_revision,
        message=f"'{article.slug}' flagged for medical review: " + " ".join(new or reasons),
        data={
            "pmids": [alert["pmid"] or alert["doi"] for alert in alerts],
            "review_requested": not open_request,
        },
        now=now,
    )
    return True
