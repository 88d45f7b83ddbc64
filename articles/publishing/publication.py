"""
The publication record: writing it (the only code that does), checking it, and reading a page
from it.

`publication_sync(article=...)` brings an article's record in line with what the public may
see, inside the caller's transaction: the live revision with its approval in force (state
"current"), the same revision with its approval taken back (state "taken back": a notice
instead of the stamp, or no record at all with the withdraw setting), or nothing (unpublished,
never approved, tampered with). Everything time-independent is computed here, once: the
content HTML from the signed snapshot, the JSON-LD, reading time, the list columns. The review
status is not: readers get it from `next_review_due` at read time (`review_state_of`).

Every write bumps `generation` and re-seals the record (an HMAC over its columns keyed by the
site's `SECRET_KEY`, outside the database; `SECRET_KEY_FALLBACKS` keep verifying during a
rotation); `publication_is_sound` checks the
seal and the HTML's hash on every read, so a record changed in SQL is never shown.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.safestring import mark_safe

from articles.content.figures import snapshot_files_intact
from articles.content.models import Article, ArticleRevision
from articles.publishing.models import Publication, PublicationTopic
from articles.publishing.presentation import (
    article_page_context,
    byline_authors,
    lead_image,
    page_topics,
)
from articles.publishing.reading_time import html_text, reading_minutes
from articles.publishing.retractions import source_alerts_of
from articles.publishing.review_state import ReviewState
from articles.publishing.signals import publication_changed
from articles.publishing.structured_data import article_json_ld
from reviews import keys, policy
from reviews.models import AuditEvent, SignOff
from reviews.selectors import approval_in_force, newest_decision
from reviews.services import audit_record
from reviews.services.integrity import signoff_signature_holds

logger = logging.getLogger(__name__)

# PostgreSQL's text search configuration for the public search (stemming, stop words).
SEARCH_CONFIG = "english"

# Bump when a template or helper that shapes the stored HTML or JSON-LD changes: records of an
# older version are re-rendered by `manage.py publications_render` (run by `setup_site`) and
# lazily on read.
RENDER_VERSION = 2

_SEAL_PURPOSE = "publication-record-seal-v1"
# The columns the seal covers: everything lists read. The large texts are covered through
# `html_hash` (see `_payload_hash`).
SEALED_FIELDS = (
    "article_id",
    "revision_id",
    "signoff_id",
    "taken_back_by_id",
    "state",
    "revision_number",
    "rereview",
    "content_hash",
    "slug",
    "title",
    "standfirst",
    "featured",
    "topics",
    "authors",
    "reviewer_id",
    "reviewer_name",
    "reviewer_credentials",
    "reviewer_slug",
    "published_at",
    "updated_at",
    "last_reviewed_at",
    "next_review_due",
    "review_interval_days",
    "withdraw_at",
    "reading_minutes",
    "html_hash",
    "render_version",
    "generation",
)


# Every column the seal reads: what a list must load to check it without a query per row.
SEAL_INPUTS = (
    *SEALED_FIELDS,
    "source_alerts",
    "co_reviewers",
    "original_published_on",
    "legacy_reviews",
    "seal",
)


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def compute_seal(record: Publication, *, secret: str | None = None) -> str:
    """
    The HMAC of the record's columns, keyed by the site's `SECRET_KEY` (Django's
    `salted_hmac`): a secret of the environment, never in the database. The source alerts and
    the co-reviewers are covered when there are any (so records sealed before they existed
    stay sound, and adding or removing one in SQL breaks the seal either way); so are an
    imported page's original publication date and legacy review lines (`import_site`).
    """
    data = {name: _value(getattr(record, name)) for name in SEALED_FIELDS}
    if record.source_alerts:
        data["source_alerts"] = record.source_alerts
    if record.co_reviewers:
        data["co_reviewers"] = record.co_reviewers
    if record.original_published_on:
        data["original_published_on"] = record.original_published_on.isoformat()
    if record.legacy_reviews:
        data["legacy_reviews"] = record.legacy_reviews
    return salted_hmac(
        _SEAL_PURPOSE, keys.canonical_json(data), secret=secret, algorithm="sha256"
    ).hexdigest()


def _seal_holds(record: Publication) -> bool:
    # The current key or one being rotated out (`SECRET_KEY_FALLBACKS`), as Django's signing.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        hmac.compare_digest(record.seal, compute_seal(record, secret=secret))
        for secret in secrets
    )


def _payload_hash(record: Publication) -> str:
    """SHA-256 of the large stored texts (HTML, JSON-LD, search text); the seal covers it."""
    payload = "\0".join((record.html, record.json_ld, record.search_text))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def publication_is_sound(record: Publication, *, lists_only: bool = False) -> bool:
    """
    Whether the record is as the publishing code wrote it: its seal holds and, unless only
    the list columns were loaded (``lists_only``), so does the hash of its HTML and JSON-LD.
    """
    if not _seal_holds(record):
        return False
    return lists_only or hmac.compare_digest(record.html_hash, _payload_hash(record))


def publication_intact(record: Publication) -> bool:
    """
    The check every read of a page makes (its `revision` loaded): the record is sound, and
    the revision it shows still hashes to what the physician signed.
    """
    revision = record.revision
    return (
        publication_is_sound(record)
        and revision.compute_hash() == revision.content_hash == record.content_hash
        # The figure files the page loads still hash to the values the physician signed.
        and snapshot_files_intact(revision.snapshot)
    )


def _interval_days(article: Article) -> int:
    return policy.effective_interval_days(t.review_interval_days for t in article.topics.all())


def _review_state(
    *,
    signoff,
    taken_back_by,
    last_reviewed_at,
    next_due,
    updated_at,
    now,
    source_alerts=(),
    co_reviewers=(),
):
    status = policy.review_status(next_due=next_due, now=now) if signoff else None
    withdrawn = bool(signoff) and policy.is_withdrawn_for_overdue(next_due=next_due, now=now)
    return ReviewState(
        signoff=signoff,
        intact=True,
        taken_back_by=taken_back_by,
        last_reviewed_at=last_reviewed_at if signoff else None,
        next_review_due=next_due if signoff else None,
        status=status,
        withdrawn=withdrawn,
        last_updated_at=updated_at,
        source_alerts=tuple(source_alerts),
        co_reviewers=tuple(co_reviewers) if signoff else (),
    )


def _co_reviewers(revision: ArticleRevision, approval: SignOff) -> list[dict]:
    """
    When the revision's approval policy needs several physicians, the others whose approvals
    stand with ``approval``'s, newest first, one entry per physician; [] otherwise.
    """
    if revision.approval_policy().needed < 2:
        return []
    others, seen = [], {approval.reviewer_id}
    standing = (
        SignOff.objects.standing()
        .filter(revision_id=revision.pk)
        .select_related("reviewer")
        .order_by("-pk")
    )
    for signoff in standing:
        if signoff.reviewer_id in seen:
            continue
        seen.add(signoff.reviewer_id)
        others.append(
            {
                "signoff_id": signoff.pk,
                "name": signoff.printed_name,
                "credentials": signoff.credentials,
                "slug": signoff.reviewer.slug if signoff.reviewer.is_verified else "",
                "signed_at": signoff.signed_at.isoformat(),
            }
        )
    return others


def _withdraw(record: Publication | None, *, article: Article, reason: str, now) -> None:
    if record is not None:
        record.delete()
        publication_changed.send(sender=Publication, article=article)
        logger.info("Publication of article %s withdrawn: %s", article.pk, reason)


def _withdraw_tampered(record, *, article, revision, what: str, now) -> None:
    """Withdraw the page everywhere and put the finding in the audit trail."""
    _withdraw(record, article=article, reason=what, now=now)
    audit_record(
        action=AuditEvent.Action.TAMPER_DETECTED,
        article=article,
        revision=revision,
        message=f"{what}; the page was withdrawn from every public page.",
        now=now,
    )


@transaction.atomic
def publication_sync(*, article: Article, now: datetime | None = None) -> Publication | None:
    """
    Write (or remove) `article`'s publication record so it says what the public may see now.

    Call it in the transaction of every change that can change that (it joins it, or opens
    its own): publishing,
    unpublishing, a decision on the live revision, a revocation, a change of the article's
    topics, authors, address or "featured" flag. Returns the record, or None when the article
    is not public. The article row should be locked by the caller when it changes it.
    """
    now = now or timezone.now()
    article = (
        Article.objects.select_related("live_revision")
        .prefetch_related("topics", "authors")
        .get(pk=article.pk)
    )
    record = Publication.objects.select_for_update().filter(article_id=article.pk).first()
    revision = article.live_revision
    if revision is None:
        _withdraw(record, article=article, reason="not published", now=now)
        return None
    if revision.compute_hash() != revision.content_hash:
        _withdraw_tampered(
            record,
            article=article,
            revision=revision,
            what=f"Revision {revision.number} of '{article.slug}' no longer matches its stored "
            "hash",
            now=now,
        )
        return None
    if not snapshot_files_intact(revision.snapshot):
        _withdraw_tampered(
            record,
            article=article,
            revision=revision,
            what=f"A figure file of revision {revision.number} of '{article.slug}' no longer "
            "matches the hash its approval covers",
            now=now,
        )
        return None
    approval = approval_in_force(revision)
    taken_back_by = None
    if approval is None:
        approval = (
            SignOff.objects.valid_approvals()
            .filter(revision_id=revision.pk)
            .select_related("reviewer")
            .order_by("-pk")
            .first()
        )
        if approval is None or policy.withdraw_overdue_enabled():
            _withdraw(record, article=article, reason="no approval in force", now=now)
            return None
        taken_back_by = newest_decision(revision)
    if not signoff_signature_holds(approval):
        _withdraw_tampered(
            record,
            article=article,
            revision=revision,
            what=f"The approval (sign-off {approval.pk}) of revision {revision.number} of "
            f"'{article.slug}' carries no valid site signature (made or changed outside the app)",
            now=now,
        )
        return None
    return _write(
        record=record,
        article=article,
        revision=revision,
        approval=approval,
        taken_back_by=taken_back_by,
        now=now,
    )


def _write(*, record, article, revision, approval, taken_back_by, now) -> Publication:
    topics = page_topics(article)
    interval = _interval_days(article)
    if record is not None and record.signoff_id == approval.pk and record.review_interval_days:
        # Editing the article's topics (or deleting a topic) must not silence "overdue": under
        # the same approval the interval can only get shorter.
        interval = min(interval, record.review_interval_days)
    next_due = policy.next_review_due(
        last_reviewed_at=approval.signed_at, interval_days=interval
    )
    withdraw_at = (
        policy.withdrawal_at(next_due=next_due) if policy.withdraw_overdue_enabled() else None
    )
    current = taken_back_by is None
    published_at = article.first_published_at or now
    # Sources retracted (or under concern) since the approval: from the citations' notices,
    # outside the signed content (articles.publishing.retractions).
    alerts = source_alerts_of(revision, approval)
    co_reviewers = _co_reviewers(revision, approval)
    context = article_page_context(article=article, revision=revision, source_alerts=alerts)
    context["review"] = _review_state(
        signoff=approval if current else None,
        taken_back_by=taken_back_by,
        last_reviewed_at=approval.signed_at,
        next_due=next_due,
        updated_at=revision.created_at,
        now=now,
        source_alerts=alerts,
        co_reviewers=co_reviewers,
    )
    context["published_at"] = published_at
    # An imported page's first publication elsewhere: JSON-LD's datePublished when earlier.
    context["original_published_on"] = article.original_published_on
    html = str(context["content_html"])
    record = record or Publication(article=article)
    record.revision = revision
    record.signoff = approval
    record.taken_back_by = taken_back_by
    record.state = Publication.State.CURRENT if current else Publication.State.TAKEN_BACK
    record.content_hash = revision.content_hash
    record.revision_number = revision.number
    record.rereview = (
        SignOff.objects.valid_approvals()
        .filter(revision_id=revision.pk, pk__lt=approval.pk)
        .exists()
    )
    record.slug = article.slug
    record.title = context["title"]
    record.standfirst = context["standfirst"]
    record.featured = article.featured
    record.topics = [{k: t[k] for k in ("id", "name", "slug", "is_condition")} for t in topics]
    record.authors = [
        {k: a[k] for k in ("name", "credentials", "slug")} for a in byline_authors(article)
    ]
    reviewer = approval.reviewer
    record.reviewer = reviewer
    record.reviewer_name = approval.printed_name
    record.reviewer_credentials = approval.credentials
    record.reviewer_slug = reviewer.slug
    record.published_at = published_at
    record.updated_at = revision.created_at
    record.last_reviewed_at = approval.signed_at
    record.next_review_due = next_due
    record.review_interval_days = interval
    record.withdraw_at = withdraw_at
    record.reading_minutes = reading_minutes(revision.snapshot)
    record.source_alerts = alerts
    record.co_reviewers = co_reviewers
    record.original_published_on = article.original_published_on
    # Data from the previous site, never a sign-off: kept off the stamp, JSON-LD and attestation.
    record.legacy_reviews = article.legacy_reviews or []
    record.html = html
    record.json_ld = str(article_json_ld(context))
    record.search_text = _search_text(revision)
    record.html_hash = _payload_hash(record)
    record.render_version = RENDER_VERSION
    record.generation = (record.generation or 0) + 1 if record.pk else 1
    record.written_at = now
    record.seal = compute_seal(record)
    record.save()
    _link_topics(record, [topic["id"] for topic in topics])
    _index_for_search(record)
    publication_changed.send(sender=Publication, article=article)
    return record


def _link_topics(record: Publication, topic_ids: list[int]) -> None:
    """The record's rows in `PublicationTopic`, exactly its article's topics now."""
    links = PublicationTopic.objects.filter(publication=record)
    links.exclude(topic_id__in=topic_ids).delete()
    links.exclude(published_at=record.published_at).update(published_at=record.published_at)
    present = set(links.values_list("topic_id", flat=True))
    PublicationTopic.objects.bulk_create(
        PublicationTopic(publication=record, topic_id=topic_id, published_at=record.published_at)
        for topic_id in topic_ids
        if topic_id not in present
    )


def _search_text(revision: ArticleRevision) -> str:
    snapshot = revision.snapshot
    parts = [
        snapshot.get("title", ""),
        snapshot.get("standfirst", ""),
        html_text(snapshot.get("body", "")),
        " ".join(snapshot.get("takeaways", [])),
        " ".join(f"{e['question']} {html_text(e['answer'])}" for e in snapshot.get("faq", [])),
    ]
    return "\n".join(part for part in parts if part)


def _index_for_search(record: Publication) -> None:
    """On PostgreSQL, the weighted full-text vector of the record (title A, standfirst B, text
    C)."""
    # Not mutated (`make mutation` runs on SQLite, where this returns at once); the PostgreSQL
    # pass of `make test` checks the ranking it gives (docs/mutation.md).
    if connection.vendor != "postgresql":  # pragma: no mutate
        return
    from django.contrib.postgres.search import SearchVector

    Publication.objects.filter(pk=record.pk).update(  # pragma: no mutate
        search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)  # pragma: no mutate
        + SearchVector("standfirst", weight="B", config=SEARCH_CONFIG)  # pragma: no mutate
        + SearchVector("search_text", weight="C", config=SEARCH_CONFIG)  # pragma: no mutate
    )


# --- Reading a page from the record ------------------------------------------------------


def review_state_of(record: Publication, *, now: datetime) -> ReviewState:
    """The page's review state at `now`, from the record's dates and the review policy."""
    current = record.state == Publication.State.CURRENT
    return _review_state(
        signoff=record.signoff if current else None,
        taken_back_by=record.taken_back_by,
        last_reviewed_at=record.last_reviewed_at,
        next_due=record.next_review_due,
        updated_at=record.updated_at,
        now=now,
        source_alerts=record.source_alerts,
        co_reviewers=record.co_reviewers,
    )


def _legacy_reviews(record: Publication) -> list[dict[str, Any]]:
    """The imported review lines (`import_site`) with their dates as dates, for the template."""
    return [
        {"reviewer": line["reviewer"], "date": date.fromisoformat(line["date"])}
        for line in record.legacy_reviews
    ]


def page_context(record: Publication, *, now: datetime) -> dict[str, Any]:
    """The article template's context, read from the record (no rendering of the content)."""
    return {
        "slug": record.slug,
        "url": record.get_absolute_url(),
        "title": record.title,
        "standfirst": record.standfirst,
        "content_html": mark_safe(record.html),  # noqa: S308 - rendered by us, hash checked
        "json_ld": mark_safe(record.json_ld),  # noqa: S308 - escaped when written
        "revision_number": None,
        "is_live_revision": True,
        "published_at": record.published_at,
        "original_published_on": record.original_published_on,
        # Shown only when the site chose to (SHOW_LEGACY_REVIEWS), read now, not when written.
        "legacy_reviews": _legacy_reviews(record) if settings.SHOW_LEGACY_REVIEWS else [],
        "updated_at": record.updated_at,
        "show_updated": record.updated_at.date() > record.published_at.date(),
        "reading_minutes": record.reading_minutes,
        "topics": [
            {**t, "url": reverse("articles:topic", kwargs={"slug": t["slug"]})}
            for t in record.topics
        ],
        "authors": [
            {**a, "url": reverse("articles:contributor", kwargs={"slug": a["slug"]})}
            for a in record.authors
        ],
        "review": review_state_of(record, now=now),
        # From the signed snapshot the record shows (loaded with it: no query).
        "lead_image": lead_image(record.revision.snapshot),
    }


def publication_render_all(*, now: datetime | None = None) -> int:
    """Re-write every record (after a deploy that changed templates or the review settings)."""
    count = 0
    for article_id in Publication.objects.values_list("article_id", flat=True):
        with transaction.atomic():
            publication_sync(article=Article(pk=article_id), now=now)
            count += 1
    return count
