"""
Editorial writes: the one entry point for each change to an article.

The admin, management commands and tests all go through these functions, so the rules live in
one place: HTML is sanitised before it is stored, a save from a stale version is refused
(optimistic locking), a changed slug leaves a redirect behind, and a revision is made only when
the reader-visible content changed. Setting the live revision is not here: publishing belongs to
the review workflow, which is the only way a revision reaches the public.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.content.figures import body_figures_validate
from articles.content.models import (
    Article,
    ArticleRevision,
    Comparison,
    FAQEntry,
    RevisionCitation,
    SlugRedirect,
    Takeaway,
    Topic,
)
from articles.content.sanitize import sanitize_answer, sanitize_html
from articles.content.snapshot import build_snapshot, content_hash
from references.markers import DOI, PMID, REF, InvalidMarkerError, find_markers, normalise_markers
from references.services import (
    OFFLINE,
    CitationsUnavailable,
    DoisUnavailable,
    citations_ensure,
    citations_ensure_dois,
    citations_for_marker_names,
    crossref_client_from_settings,
    pubmed_client_from_settings,
)
from reviews.models import AuditEvent, SignOff
from reviews.services import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from references.models import Citation

logger = logging.getLogger(__name__)

# Draft fields a caller may set; `version`, `live_revision` and `first_published_at` are
# deliberately absent: they belong to locking and publishing.
ARTICLE_FIELDS = (
    "title",
    "slug",
    "standfirst",
    "body",
    "article_type",
    "featured",
    "needs_review",
    "needs_review_reason",
    "disclaimer",
    "search_description",
    # A page brought across from a previous site (`import_site`); not on the editors' form.
    "original_published_on",
    "legacy_reviews",
)
ARTICLE_RELATIONS = ("topics", "authors")
ARTICLE_PARTS = ("takeaways", "faq", "comparisons")

STALE_MESSAGE = (
    "Someone else saved this article while you were editing it, so your save was not made. "
    "Your text is below: copy your changes, reload the page, and re-apply them."
)


class StaleArticleError(Exception):
    """The article changed since the caller read it; nothing was written."""

    def __init__(self, article_id: int, expected_version: int):
        self.article_id = article_id
        self.expected_version = expected_version
        super().__init__(STALE_MESSAGE)


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(ARTICLE_FIELDS) - set(ARTICLE_RELATIONS) - set(ARTICLE_PARTS)
    if unknown:
        raise TypeError(f"Unknown article data: {', '.join(sorted(unknown))}")


def clean_body(html: str) -> str:
    """The body as it is stored: sanitised, with pasted PubMed and doi.org URLs as markers."""
    return normalise_markers(sanitize_html(html))


def article_slug_validate(*, slug: str, article: Article | None = None) -> None:
    """
    Refuse a slug that is another article's former address.

    Taking it would silently break that article's old links (its redirect would be shadowed).
    An article may take back one of its own former slugs.
    """
    taken = SlugRedirect.objects.filter(old_slug=slug)
    if article is not None and article.pk:
        taken = taken.exclude(article=article)
    if taken.exists():
        raise ValidationError(
            {"slug": "This address used to belong to another article and still redirects there."}
        )


def article_citations_ensure(
    *, body: str, client: Any = None, crossref: Any = None
) -> list[Citation]:
    """
    The citations of a body's markers (`[PMID:n]`, `[DOI:10.x/y]`, `[REF:name]`), in order of
    first appearance, each once (a DOI that a cited PubMed record carries is that record).

    Known sources come from the database; unknown PMIDs are fetched from PubMed with `client`
    and unknown DOIs from Crossref with `crossref` (both built from settings when None; pass
    `OFFLINE` as `client` inside a transaction, where nothing may wait for the network, and it
    stands for Crossref too). Marker names are looked up in the database only. Raises
    ValidationError with an editor-facing message when a marker is malformed, a source does
    not exist, or PubMed or Crossref cannot be reached for an unknown one, so a caller can
    refuse the whole save before anything is stored.
    """
    try:
        markers = find_markers(body)
    except InvalidMarkerError as error:
        raise ValidationError(str(error), code="invalid_marker") from error
    if not markers:
        return []
    pmids = [marker.value for marker in markers if marker.kind == PMID]
    dois = [marker.value for marker in markers if marker.kind == DOI]
    names = [marker.value for marker in markers if marker.kind == REF]
    found: dict[str, Citation] = {}
    if pmids:
        try:
            by_pmid = citations_ensure(pmids=pmids, client=client or pubmed_client_from_settings())
        except CitationsUnavailable as error:
            missing = ", ".join(getattr(error, "pmids", ()) or pmids)
            raise ValidationError(
                f"PubMed could not be reached to check PMID {missing}. Nothing was saved: try "
                "again later, or remove the new citation markers and add them when PubMed is "
                "back.",
                code="pubmed_unavailable",
            ) from error
        found.update(
            {marker.key: by_pmid[marker.value] for marker in markers if marker.kind == PMID}
        )
    if dois:
        if client is OFFLINE:
            crossref = OFFLINE
        try:
            by_doi = citations_ensure_dois(
                dois=dois, client=crossref or crossref_client_from_settings()
            )
        except DoisUnavailable as error:
            raise ValidationError(
                f"Crossref could not be reached to look up DOI {', '.join(error.dois)}. Nothing "
                "was saved: try again later, or remove the new DOI markers and add them when "
                "Crossref is back.",
                code="crossref_unavailable",
            ) from error
        found.update(
            {marker.key: by_doi[marker.value.lower()] for marker in markers if marker.kind == DOI}
        )
    if names:
        by_name = citations_for_marker_names(names)
        found.update(
            {marker.key: by_name[marker.value] for marker in markers if marker.kind == REF}
        )
    return _unique([found[marker.key] for marker in markers])


def article_citations_prefetch(*, body: str) -> ValidationError | None:
    """
    Before an editor's save opens its transaction: fetch and store the citations of the
    posted `body` that are not known yet, within PUBMED_SAVE_DEADLINE seconds (PubMed and
    Crossref each).

    Returns the problem to show on the form (PubMed or Crossref unreachable, no such PMID or
    DOI, a malformed marker), or None. The save's own checks then resolve the body `OFFLINE`.
    """
    deadline = float(settings.PUBMED_SAVE_DEADLINE)
    try:
        article_citations_ensure(
            body=clean_body(body),
            client=pubmed_client_from_settings(deadline=deadline),
            crossref=crossref_client_from_settings(deadline=deadline),
        )
    except ValidationError as error:
        return error
    return None


def article_citations_fetch(*, article: Article, client: Any = None, crossref: Any = None) -> None:
    """
    Fetch the unknown citations of the article's stored draft from PubMed (with `client`) and
    Crossref (with `crossref`).

    Called before a transaction opens (`revision_create`, sending for review), so the article's
    row is never locked while NCBI or Crossref answers. Raises like `article_citations_ensure`.
    """
    body = Article.objects.filter(pk=article.pk).values_list("body", flat=True).get()
    article_citations_ensure(body=clean_body(body), client=client, crossref=crossref)


def _set_parts(article: Article, data: Mapping[str, Any]) -> None:
    """Replace the takeaways, FAQ and comparisons given in `data` (each list is complete)."""
    if "takeaways" in data:
        article.takeaways.all().delete()
        _create_all(
            Takeaway(article=article, position=index, text=text)
            for index, text in enumerate(data["takeaways"])
        )
    if "faq" in data:
        article.faq_entries.all().delete()
        _create_all(
            FAQEntry(
                article=article,
                position=index,
                question=entry["question"],
                answer=sanitize_answer(entry["answer"]),
            )
            for index, entry in enumerate(data["faq"])
        )
    if "comparisons" in data:
        article.comparisons.all().delete()
        _create_all(
            Comparison(
                article=article,
                position=index,
                term=entry["term"],
                explanation=entry["explanation"],
            )
            for index, entry in enumerate(data["comparisons"])
        )


def _create_all(objects: Iterable[Any]) -> None:
    for obj in objects:
        obj.full_clean(exclude=["article"])
        obj.save()


def _set_relations(article: Article, data: Mapping[str, Any]) -> None:
    if "topics" in data:
        article.topics.set(data["topics"])
    if "authors" in data:
        article.authors.set(data["authors"])


@transaction.atomic
def article_create(*, data: Mapping[str, Any], user: AbstractBaseUser) -> Article:
    """
    Create a draft article from `data` (keys: ARTICLE_FIELDS, topics, authors, takeaways,
    faq, comparisons). No revision is made here: call `revision_create` once the draft is
    complete (the admin does so after saving the inlines).
    """
    _check_keys(data)
    article = Article(**{name: data[name] for name in ARTICLE_FIELDS if name in data})
    article.body = clean_body(article.body)
    body_figures_validate(article.body)  # each figure marker names a usable figure
    article.version = 1
    article.draft_editor_ids = [user.pk]
    if article.needs_review is False:
        article.needs_review_reason = ""
    article.full_clean()
    article_slug_validate(slug=article.slug)
    article.save(force_insert=True)
    _set_relations(article, data)
    _set_parts(article, data)
    logger.info("Article %s created by %s", article.pk, user)
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    data: Mapping[str, Any],
    expected_version: int,
    user: AbstractBaseUser,
) -> Article:
    """
    Save changes to a draft, refusing them if someone else saved since `expected_version`.

    The version check is a conditional `UPDATE ... WHERE id = %s AND version = %s`: it claims
    the next version and locks the row in one statement, so of two concurrent saves from the
    same version exactly one wins. The loser gets `StaleArticleError` and nothing is written.
    A changed slug records a `SlugRedirect` from the old one.
    """
    _check_keys(data)
    claimed = Article.objects.filter(pk=article.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise StaleArticleError(article.pk, expected_version)
    stored = (
        Article.objects.filter(pk=article.pk)
        .values("slug", "needs_review", "needs_review_reason", "draft_editor_ids")
        .get()
    )
    old_slug = stored["slug"]
    if stored["needs_review"] and "needs_review" in data and not data["needs_review"]:
        # The flag (set by an editor or by a retraction) is cleared only by a physician's new
        # approval being published (`articles.publishing.workflow`), never by unticking it.
        raise ValidationError(
            {
                "needs_review": 'Only a physician\'s new approval clears the "needs review" '
                "flag. Send the article for review; publishing the approved revision clears it."
            },
            code="needs_review_locked",
        )
    if stored["needs_review"]:
        # Nor may its reason be rewritten to hide why it was set.
        data = {**data, "needs_review": True, "needs_review_reason": stored["needs_review_reason"]}
    for name in ARTICLE_FIELDS:
        if name in data:
            setattr(article, name, data[name])
    article.body = clean_body(article.body)
    body_figures_validate(article.body)  # each figure marker names a usable figure
    article.version = expected_version + 1
    article.updated_at = timezone.now()
    article.draft_editor_ids = sorted({*stored["draft_editor_ids"], user.pk})
    article.full_clean()
    if article.slug != old_slug:
        article_slug_validate(slug=article.slug, article=article)
        # The article takes back a former slug: that redirect would now point at itself.
        SlugRedirect.objects.filter(old_slug=article.slug, article=article).delete()
        SlugRedirect.objects.create(old_slug=old_slug, article=article)
    article.save(update_fields=[*ARTICLE_FIELDS, "version", "updated_at", "draft_editor_ids"])
    _set_relations(article, data)
    _set_parts(article, data)
    logger.info("Article %s saved by %s (version %s)", article.pk, user, article.version)
    return article


def revision_create(
    *, article: Article, user: AbstractBaseUser, client: Any = None, crossref: Any = None
) -> ArticleRevision:
    """
    Snapshot the article's stored draft as a new revision, if its content changed.

    The snapshot is built from the database (not from unsaved attributes), with markers
    normalised and the body's citations ensured through `client` (PubMed) and `crossref`
    (Crossref, for DOI markers); both faked in tests.
    When the hash equals the latest revision's, that revision is returned and nothing is
    written: saving without a content change makes no revision. Numbers run 1, 2, ... per
    article; the article row is locked so that two saves cannot take the same number.

    Unknown PMIDs and DOIs are fetched first, before the row is locked (pass `OFFLINE` as
    `client` when the caller has fetched them already and holds a transaction).
    """
    if client is not OFFLINE:
        article_citations_fetch(article=article, client=client, crossref=crossref)
    with transaction.atomic():
        return _revision_create_locked(article=article, user=user)


def _revision_create_locked(*, article: Article, user: AbstractBaseUser) -> ArticleRevision:
    draft = Article.objects.select_for_update().filter(pk=article.pk).get()
    draft.body = clean_body(draft.body)
    citations = article_citations_ensure(body=draft.body, client=OFFLINE)
    snapshot = build_snapshot(draft, citations)
    digest = content_hash(snapshot)
    latest = ArticleRevision.objects.latest_for(draft)
    if latest is not None and latest.content_hash == digest:
        return latest
    revision = ArticleRevision(
        article=draft,
        number=latest.number + 1 if latest else 1,
        snapshot=snapshot,
        content_hash=digest,
        created_by=user,
        editor_ids=_editors_since_last_approval(draft, user),
        byline_user_ids=sorted(
            uid for uid in draft.authors.values_list("user_id", flat=True) if uid is not None
        ),
    )
    revision.full_clean()
    revision.save()
    Article.objects.filter(pk=draft.pk).update(draft_editor_ids=[])
    RevisionCitation.objects.bulk_create(
        RevisionCitation(revision=revision, citation=citation, position=position)
        for position, citation in enumerate(_unique(citations), start=1)
    )
    logger.info("Article %s revision %s made by %s", draft.pk, revision.number, user)
    return revision


def _editors_since_last_approval(draft: Article, user: AbstractBaseUser) -> list[int]:
    """
    Every login that wrote or edited the content since the article's last valid approval.

    The draft's own editors, this revision's maker, and the editors recorded on the revisions
    made since the last approved one: their changes are all in the content under review.
    """
    approved = (
        SignOff.objects.valid_approvals()
        .filter(revision__article_id=draft.pk)
        .order_by("-revision__number")
        .values_list("revision__number", flat=True)
        .first()
    ) or 0
    editors = {user.pk, *draft.draft_editor_ids}
    for ids in ArticleRevision.objects.filter(article=draft, number__gt=approved).values_list(
        "editor_ids", flat=True
    ):
        editors.update(ids or ())
    return sorted(editors)


def _unique(citations: Sequence[Citation]) -> list[Citation]:
    seen: dict[Any, Citation] = {}
    for citation in citations:
        seen.setdefault(citation.pk, citation)
    return list(seen.values())


# A topic's review policy: how often its pages are reviewed, and how many physicians (of
# which specialty) must approve them. Site administrators set it; every change is audited.
TOPIC_POLICY_FIELDS = {
    "review_interval_days": "review interval",
    "approvals_required": "number of approvals required",
    "specialty_required": "specialty required",
}


@transaction.atomic
def topic_save(*, topic: Topic, user: AbstractBaseUser) -> Topic:
    """
    Create or save a topic. Its review policy (`TOPIC_POLICY_FIELDS`) is not editing.

    Only site administrators (`articles.change_review_interval`) may set or change a topic's
    review interval (lengthening it would turn overdue pages "current") or its approval policy
    (lowering it would let a page go live with fewer physicians' approvals). The database holds
    the interval to 30–1,095 days and the approvals to 1–3; every change is audited with before
    and after.
    """
    fields = list(TOPIC_POLICY_FIELDS)
    stored = Topic.objects.select_for_update().filter(pk=topic.pk).values(*fields).first()
    before = stored or {
        "review_interval_days": None,
        "approvals_required": 1,
        "specialty_required": "",
    }
    changed = [name for name in fields if getattr(topic, name) != before[name]]
    if changed and not user.has_perm("articles.change_review_interval"):
        raise ValidationError(
            {
                name: f"Only site administrators can change a topic's "
                f"{TOPIC_POLICY_FIELDS[name]}; ask one if this topic needs it changed."
                for name in changed
            },
            code="permission",
        )
    topic.full_clean()
    topic.save()
    for name in changed:
        if name == "review_interval_days":
            old, new = before[name], topic.review_interval_days
            audit_record(
                action=AuditEvent.Action.POLICY_CHANGED,
                actor=user,
                message=f"Review interval of topic '{topic.name}' changed from "
                f"{old or 'the site default'} to {new or 'the site default'} days.",
                data={"topic_id": topic.pk, "before": old, "after": new},
            )
            continue
        audit_record(
            action=AuditEvent.Action.POLICY_CHANGED,
            actor=user,
            message=f"The {TOPIC_POLICY_FIELDS[name]} of topic '{topic.name}' changed from "
            f"{before[name]!r} to {getattr(topic, name)!r}.",
            data={
                "topic_id": topic.pk,
                "field": name,
                "before": before[name],
                "after": getattr(topic, name),
            },
        )
    return topic
