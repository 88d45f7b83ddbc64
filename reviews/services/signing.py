"""Review requests and signing: every rule about who may sign a revision lives here."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Max

from reviews import checks
from reviews.models import AuditEvent, ReviewerProfile, ReviewRequest, SignOff
from reviews.services.audit import audit_record, resolve_now

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import ArticleRevision

# Key of the PostgreSQL advisory lock that serialises sign-offs (any fixed 64-bit number;
# this one spells "SIGNOFF" in ASCII).
CHAIN_LOCK_KEY = 0x5349474E4F4646


class SignOffRefused(ValidationError):
    """A signature was refused; ``code`` names the rule and the message says why, for the user."""


@transaction.atomic
def review_request_create(
    *,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    note: str = "",
    now: datetime | None = None,
) -> ReviewRequest:
    """
    Send a revision for medical review (it joins the reviewers' queue).

    Submitting a revision that is already awaiting review returns the open request unchanged.
    Open requests for *other* revisions of the same article are cancelled: the reviewer should
    read the newest content, not a superseded draft.
    """
    now = resolve_now(now)
    existing = ReviewRequest.objects.filter(revision=revision, state=ReviewRequest.State.OPEN)
    if (request := existing.first()) is not None:
        return request

    superseded = list(
        ReviewRequest.objects.select_for_update(of=("self",))
        .filter(revision__article_id=revision.article_id, state=ReviewRequest.State.OPEN)
        .exclude(revision=revision)
    )
    for old in superseded:
        old.state = ReviewRequest.State.CANCELLED
        old.closed_at = now
        old.full_clean()
        old.save(update_fields=["state", "closed_at"])

    request = ReviewRequest(revision=revision, submitted_by=user, submitted_at=now, note=note)
    request.full_clean()
    request.save()
    audit_record(
        action=AuditEvent.Action.SUBMITTED,
        actor=user,
        revision=revision,
        message=f"Revision {revision.number} sent for medical review.",
        data={"request_id": request.pk, "cancelled_request_ids": [r.pk for r in superseded]},
        now=now,
    )
    return request


# --- Signing ------------------------------------------------------------------------------


def _profile_of(user: AbstractBaseUser) -> ReviewerProfile | None:
    try:
        return ReviewerProfile.objects.select_related("user").get(user_id=user.pk)
    except ReviewerProfile.DoesNotExist:
        return None


def _last_approved_number_before(revision: ArticleRevision) -> int:
    """Number of the latest revision of the same article approved before this one (0: none)."""
    result = (
        SignOff.objects.approvals()
        .filter(revision__article_id=revision.article_id, revision__number__lt=revision.number)
        .aggregate(last=Max("revision__number"))
    )
    return result["last"] or 0


def separation_of_duties_refusal(
    *, revision: ArticleRevision, user: AbstractBaseUser
) -> str | None:
    """
    Why ``user`` may not review ``revision`` because they wrote or edited it; None if they may.

    Refused: the creator of the revision; anyone who created a revision of the same article
    since the last approved one (their edits are part of the content under review); anyone
    linked as an author of the article (a Contributor whose `user` is them).
    """
    if revision.created_by_id == user.pk:
        return "You created this revision; a reviewer cannot sign their own content."
    since = _last_approved_number_before(revision)
    edited = revision.article.revisions.filter(
        number__gt=since, number__lte=revision.number, created_by_id=user.pk
    ).exists()
    if edited:
        return (
            "You edited this article since its last approved revision; a reviewer cannot sign "
            "content they changed."
        )
    if revision.article.authors.filter(user_id=user.pk).exists():
        return "You are credited as an author of this article; an author cannot review it."
    return None


def _lock_chain(using: str) -> None:
    """Serialise sign-offs so two concurrent signatures cannot fork the chain."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        # Held until the transaction ends. SQLite needs nothing: the project opens its
        # transactions IMMEDIATE, so writers are already serialised. Either way the unique
        # constraint on previous_hash refuses a fork.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _refuse(code: str, message: str) -> SignOffRefused:
    return SignOffRefused(message, code=code)


def _check_signoff(
    *,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    password: str,
    decision: str,
    attested: bool,
    retracted_pmids: Collection[str] | None,
    now: datetime,
) -> ReviewerProfile:
    """Every rule a signature must pass; returns the signer's profile or raises SignOffRefused."""
    if decision not in SignOff.Decision.values:
        raise _refuse("decision", f"Unknown decision {decision!r}.")
    profile = _profile_of(user)
    if profile is None:
        raise _refuse("no_profile", "Only a reviewing physician with a reviewer profile can sign.")
    if (reason := profile.signing_refusal(now)) is not None:
        raise _refuse("not_eligible", reason)
    if (reason := separation_of_duties_refusal(revision=revision, user=user)) is not None:
        raise _refuse("separation_of_duties", reason)
    if not attested:
        raise _refuse(
            "not_attested",
            "Tick the attestation to confirm you reviewed this revision and intend to sign it.",
        )
    if not password or not user.check_password(password):
        raise _refuse("wrong_password", "The password is not correct; nothing was signed.")
    actual = revision.compute_hash()
    if actual != revision.content_hash:
        raise _refuse(
            "hash_mismatch",
            f"Revision {revision.number}'s stored content no longer matches its hash "
            f"(recorded {revision.content_hash[:12]}…, content now hashes to {actual[:12]}…); "
            "it may have been changed behind the application's back and cannot be signed.",
        )
    if decision == SignOff.Decision.APPROVED:
        if retracted_pmids is None:
            retracted_pmids = checks.retracted_among(checks.cited_pmids(revision.snapshot))
        blocking = checks.blocking_findings(
            checks.check_snapshot(revision.snapshot, retracted_pmids=retracted_pmids)
        )
        if blocking:
            raise _refuse(
                "blocking_findings",
                "This revision cannot be approved: " + " ".join(f.message for f in blocking),
            )
    return profile


def signoff_create(
    *,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    password: str,
    decision: str,
    comment: str = "",
    conflict_of_interest: str = "",
    attested: bool,
    now: datetime | None = None,
    retracted_pmids: Collection[str] | None = None,
) -> SignOff:
    """
    Sign ``revision`` as its medical reviewer: approve it, or request changes.

    Enforced here, for every caller: the user has a verified reviewer profile with an unexpired
    licence; they did not create, edit or author the content; they ticked the attestation and
    re-entered their password; the revision's stored content still matches its hash; and, for
    an approval, no blocking content check (a retracted citation) remains. ``retracted_pmids``
    defaults to asking the retraction source registered with `reviews.checks`.

    A refused attempt signs nothing and raises `SignOffRefused`; it is recorded in the audit
    trail *after* the signing transaction has rolled back, so the record survives. (Callers
    must handle the exception rather than let an enclosing transaction roll back.)

    The new sign-off closes the revision's open review requests and extends the global chain
    (`previous_hash` = the latest sign-off's `record_hash`) under a lock.
    """
    now = resolve_now(now)
    try:
        with transaction.atomic():
            profile = _check_signoff(
                revision=revision,
                user=user,
                password=password,
                decision=decision,
                attested=attested,
                retracted_pmids=retracted_pmids,
                now=now,
            )
            signoff = _signoff_append(
                revision=revision,
                user=user,
                profile=profile,
                decision=decision,
                comment=comment,
                conflict_of_interest=conflict_of_interest,
                now=now,
            )
    except SignOffRefused as refusal:
        tampered = refusal.code == "hash_mismatch"
        audit_record(
            action=(
                AuditEvent.Action.TAMPER_DETECTED
                if tampered
                else AuditEvent.Action.SIGNATURE_FAILED
            ),
            actor=user,
            revision=revision,
            message=f"Signature refused: {refusal.message}",
            data={"code": refusal.code, "decision": decision},
            now=now,
        )
        raise
    return signoff


def _signoff_append(
    *,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    profile: ReviewerProfile,
    decision: str,
    comment: str,
    conflict_of_interest: str,
    now: datetime,
) -> SignOff:
    """Write the sign-off at the head of the chain, close requests, audit. Inside a transaction."""
    using = SignOff.objects.db
    _lock_chain(using)
    head = SignOff.objects.order_by("-pk").only("record_hash", "signed_at").first()
    if head is not None and now < head.signed_at:
        # The chain's order is the order of signing; a backdated signature would make "last
        # reviewed" disagree with it.
        raise ValueError(
            f"Cannot sign at {now.isoformat()}: the previous sign-off was made later, at "
            f"{head.signed_at.isoformat()}."
        )
    signoff = SignOff(
        revision=revision,
        reviewer=profile,
        signer=user,
        printed_name=profile.printed_name,
        credentials=profile.credentials,
        signed_at=now,
        decision=decision,
        meaning=SignOff.MEANINGS[SignOff.Decision(decision)],
        content_hash=revision.content_hash,
        comment=comment.strip(),
        conflict_of_interest=conflict_of_interest.strip(),
        previous_hash=head.record_hash if head else "",
    )
    signoff.record_hash = signoff.compute_record_hash()
    signoff.full_clean()
    signoff.save()

    approved = decision == SignOff.Decision.APPROVED
    new_state = ReviewRequest.State.APPROVED if approved else ReviewRequest.State.CHANGES_REQUESTED
    for request in ReviewRequest.objects.select_for_update().filter(
        revision=revision, state=ReviewRequest.State.OPEN
    ):
        request.state = new_state
        request.closed_at = now
        request.full_clean()
        request.save(update_fields=["state", "closed_at"])

    audit_record(
        action=AuditEvent.Action.APPROVED if approved else AuditEvent.Action.CHANGES_REQUESTED,
        actor=user,
        revision=revision,
        message=f"{signoff.display_name}: {signoff.meaning}",
        data={"signoff_id": signoff.pk, "content_hash": signoff.content_hash},
        now=now,
    )
    return signoff
