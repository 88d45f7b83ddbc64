"""
The writes of the reviews app: every rule about who may sign lives here.

`signoff_create` is the only way a sign-off is made, whoever calls it (the admin review screen,
a management command, the shell): superusers get no way around its checks. Revisions are
duck-typed (`content_hash`, `compute_hash()`, `created_by_id`, `article_id`, `article`,
`number`, `snapshot`), because `reviews` never imports `articles`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import Max
from django.utils import timezone

from reviews import checks
from reviews.models import (
    CREDENTIAL_FIELDS,
    AuditEvent,
    ReminderLog,
    ReviewerProfile,
    ReviewRequest,
    SignOff,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import Article, ArticleRevision

# Key of the PostgreSQL advisory lock that serialises sign-offs (any fixed 64-bit number;
# this one spells "SIGNOFF" in ASCII).
CHAIN_LOCK_KEY = 0x5349474E4F4646


class SignOffRefused(ValidationError):
    """A signature was refused; ``code`` names the rule and the message says why, for the user."""


class ReviewerVerificationError(ValidationError):
    """Credentials could not be marked verified (no permission, own profile, expired licence)."""


def _now(now: datetime | None) -> datetime:
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware.")
    return now


# --- Audit --------------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    message: str,
    actor: AbstractBaseUser | None = None,
    revision: ArticleRevision | None = None,
    article: Article | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """
    Append one event to the audit trail.

    When only a revision is given, its article is recorded too, so an article's history can be
    read with one filter. `actor=None` means the system (a command or scheduled job).
    """
    article_id = article.pk if article is not None else getattr(revision, "article_id", None)
    event = AuditEvent(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=_now(now),
        revision_id=revision.pk if revision is not None else None,
        article_id=article_id,
        message=message,
        data=data or {},
    )
    event.full_clean()
    event.save()
    return event


# --- Review requests ----------------------------------------------------------------------


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
    now = _now(now)
    existing = ReviewRequest.objects.filter(revision=revision, state=ReviewRequest.State.OPEN)
    if (request := existing.first()) is not None:
        return request

    superseded = list(
        ReviewRequest.objects.select_for_update()
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
    now = _now(now)
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


# --- Reviewer credentials -----------------------------------------------------------------


def _can_verify(user: AbstractBaseUser) -> bool:
    return bool(
        user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("reviews.verify_reviewerprofile"))
    )


@transaction.atomic
def reviewer_verify(
    *, profile: ReviewerProfile, admin_user: AbstractBaseUser, now: datetime | None = None
) -> ReviewerProfile:
    """
    Record that a site admin checked a reviewer's licence and credentials.

    Only active staff with the "Can verify reviewer credentials" permission (or superusers)
    may verify, never their own profile (that would let one person both vouch for and use a
    signature), and never a licence that has already expired.
    """
    now = _now(now)
    if not _can_verify(admin_user):
        raise PermissionDenied("Only site administrators may verify reviewer credentials.")
    if profile.user_id == admin_user.pk:
        raise ReviewerVerificationError(
            "You cannot verify your own reviewer profile; ask another administrator.",
            code="own_profile",
        )
    if profile.licence_expired(timezone.localdate(now)):
        raise ReviewerVerificationError(
            f"{profile.display_name}'s licence expired on "
            f"{profile.licence_expires_on.isoformat()}; record the renewed licence first.",
            code="licence_expired",
        )
    profile.verified_by = admin_user
    profile.verified_at = now
    profile.full_clean()
    profile.save(update_fields=["verified_by", "verified_at"])
    audit_record(
        action=AuditEvent.Action.CREDENTIALS_VERIFIED,
        actor=admin_user,
        message=f"Credentials of {profile.display_name} verified "
        f"(licence {profile.licence_number}, {profile.licensing_body}, "
        f"valid through {profile.licence_expires_on.isoformat()}).",
        data={
            "profile_id": profile.pk,
            "fields": {f: str(getattr(profile, f)) for f in CREDENTIAL_FIELDS},
        },
        now=now,
    )
    return profile


@transaction.atomic
def reviewer_profile_save(
    *, profile: ReviewerProfile, changed_fields: Collection[str] = ()
) -> ReviewerProfile:
    """
    Save a reviewer profile edited in the admin.

    When any credential field (name, credentials, licence, NPI) changed on a verified profile,
    the verification is withdrawn: the administrator vouched for the old values, so the
    reviewer cannot sign again until someone verifies the new ones.
    """
    if profile.pk is not None and set(changed_fields) & set(CREDENTIAL_FIELDS):
        profile.verified_by = None
        profile.verified_at = None
    profile.full_clean()
    profile.save()
    return profile


# --- Reminders ----------------------------------------------------------------------------


def reminder_claim(
    *,
    article: Article,
    stage: str,
    next_due: datetime,
    recipients: Collection[str] = (),
    now: datetime | None = None,
) -> bool:
    """
    Claim the right to send one review reminder; False if it was already sent.

    Call inside the same transaction as the sending, so a failed send un-claims it::

        with transaction.atomic():
            if reminder_claim(article=a, stage="overdue", next_due=due):
                send_mail(...)

    The unique (article, stage, next_due) constraint makes this idempotent even when two runs
    of the reminder command overlap.
    """
    now = _now(now)
    try:
        with transaction.atomic():
            log = ReminderLog(
                article_id=article.pk,
                stage=stage,
                next_due=next_due,
                sent_at=now,
                recipients=sorted(recipients),
            )
            log.full_clean(validate_unique=False, validate_constraints=False)
            log.save()
    except IntegrityError:
        return False
    audit_record(
        action=AuditEvent.Action.REMINDER_SENT,
        article=article,
        message=f"Review reminder ({log.get_stage_display().lower()}) for the review due "
        f"{next_due.isoformat()}.",
        data={"stage": stage, "next_due": next_due.isoformat(), "recipients": log.recipients},
        now=now,
    )
    return True


# --- Tamper evidence ----------------------------------------------------------------------


def signoff_chain_verify() -> list[str]:
    """
    Recompute every sign-off's record hash and the links between them; list the problems.

    An empty list means the chain is intact. A record changed behind the app's back no longer
    matches its `record_hash`; a record removed or inserted breaks the `previous_hash` link of
    the one after it. (Changing the newest record *and* its hash is only detectable against a
    copy of the head hash kept elsewhere: `verify_signoffs` prints it for that purpose.)
    """
    problems: list[str] = []
    expected_previous, previous_pk = "", None
    for signoff in SignOff.objects.order_by("pk").iterator():
        if signoff.compute_record_hash() != signoff.record_hash:
            problems.append(
                f"SignOff #{signoff.pk}: its contents no longer match its record hash "
                f"{signoff.record_hash[:12]}… (changed after signing)."
            )
        if signoff.previous_hash != expected_previous:
            before = f"SignOff #{previous_pk}" if previous_pk else "the start of the chain"
            problems.append(
                f"SignOff #{signoff.pk}: previous_hash does not link to {before} "
                "(a record was changed, removed or inserted)."
            )
        expected_previous, previous_pk = signoff.record_hash, signoff.pk
    return problems


def signoff_revisions_verify() -> list[str]:
    """
    Check that every signed revision's stored content still hashes to what was signed.

    For each sign-off, the revision's snapshot is hashed again and compared with both the
    revision's `content_hash` and the hash recorded in the sign-off.
    """
    problems: list[str] = []
    for signoff in SignOff.objects.select_related("revision").order_by("pk").iterator():
        revision = signoff.revision
        actual = revision.compute_hash()
        if actual != revision.content_hash:
            problems.append(
                f"SignOff #{signoff.pk}: revision {revision.pk} (article {revision.article_id}, "
                f"number {revision.number}) now hashes to {actual[:12]}…, not its recorded "
                f"content_hash {revision.content_hash[:12]}…."
            )
        if actual != signoff.content_hash:
            problems.append(
                f"SignOff #{signoff.pk}: signed content hash {signoff.content_hash[:12]}… but "
                f"revision {revision.pk} now hashes to {actual[:12]}…."
            )
    return problems
