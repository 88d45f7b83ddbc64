"""Review requests and signing: every rule about who may sign a revision lives here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from reviews import checks, keys, log
from reviews.models import AuditEvent, Passkey, ReviewerProfile, ReviewRequest, SignOff
from reviews.passkeys import (
    PasskeyInvalid,
    PasskeySignature,
    assertion_verify,
    credential_id_of,
    signing_challenge,
)
from reviews.selectors import open_request, physicians_asked, request_decided
from reviews.services import lockout
from reviews.services.audit import audit_record, resolve_now
from reviews.signals import decision_recorded

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from reviews.types import SignableRevision as ArticleRevision

# Key of the PostgreSQL advisory lock that serialises sign-offs (any fixed 64-bit number;
# this one spells "SIGNOFF" in ASCII).
CHAIN_LOCK_KEY = 0x5349474E4F4646


class SignOffRefused(ValidationError):
    """A signature was refused; ``code`` names the rule and the message says why, for the user."""


def _assignment_refusal(
    *, revision: ArticleRevision, assignee: ReviewerProfile | None, pool: str, due_on, now
) -> str | None:
    """Why a review request cannot be sent to ``assignee`` or ``pool`` by ``due_on``; or None."""
    if due_on is not None and due_on < timezone.localdate(now):
        return "The review's due date is in the past; choose today or a later date."
    if assignee is not None:
        if (reason := assignee.signing_refusal(now)) is not None:
            return f"{assignee.display_name} cannot review now: {reason}"
        if separation_of_duties_refusal(revision=revision, user=assignee.user) is not None:
            return (
                f"{assignee.display_name} wrote, edited or is credited on this page, so cannot "
                "review it; choose another physician."
            )
        return None
    if not pool:  # every reviewing physician: the queue is theirs even while it is empty
        return None
    request = ReviewRequest(revision=revision, pool=pool)
    if not any(p.signing_refusal(now) is None for p in physicians_asked(request)):
        return (
            f"No physician of the “{pool}” pool may review this page (verified, licence "
            "current, not an author or editor of it); name a physician or choose another pool."
        )
    return None


@transaction.atomic
def review_request_create(
    *,
    revision: ArticleRevision,
    user: AbstractBaseUser | None,
    note: str = "",
    assignee: ReviewerProfile | None = None,
    pool: str = "",
    due_on: date | None = None,
    now: datetime | None = None,
) -> ReviewRequest:
    """
    Send a revision for medical review (it joins the reviewers' queue). `user` is None when the
    site itself asks (a retracted source on a live page).

    The request asks one physician (``assignee``) or, naming none, a pool: the physicians of
    the specialty ``pool``, or every reviewing physician when it is empty. It is wanted by
    ``due_on`` (by default `REVIEW_REQUEST_DUE_DAYS` from today). Assigning routes the work
    and the e-mail; who may sign is still the signing rules' to decide. A request that no one
    asked could sign (a physician who wrote the page, a pool with nobody eligible, a date in
    the past) is refused with a `ValidationError` saying why, and nothing changes.

    Submitting a revision that is already awaiting review returns the open request unchanged,
    unless it names another physician, pool or date: then that request is cancelled and a new
    one sent. Open requests for *other* revisions of the same article are cancelled: the
    reviewer should read the newest content, not a superseded draft.
    """
    now = resolve_now(now)
    pool = "" if assignee is not None else pool.strip()
    due_given = due_on is not None
    if due_on is None:
        due_on = timezone.localdate(now) + timedelta(days=settings.REVIEW_REQUEST_DUE_DAYS)
    if reason := _assignment_refusal(
        revision=revision, assignee=assignee, pool=pool, due_on=due_on, now=now
    ):
        raise ValidationError(reason, code="assignment")
    existing = ReviewRequest.objects.filter(revision=revision, state=ReviewRequest.State.OPEN)
    if (request := existing.first()) is not None and (
        not (assignee or pool or due_given)
        or (
            (request.assignee_id, request.pool) == (assignee.pk if assignee else None, pool)
            and (not due_given or request.due_on == due_on)
        )
    ):
        return request

    superseded = list(
        ReviewRequest.objects.select_for_update(of=("self",)).filter(
            revision__article_id=revision.article_id, state=ReviewRequest.State.OPEN
        )
    )
    for old in superseded:
        old.state = ReviewRequest.State.CANCELLED
        old.closed_at = now
        old.full_clean()
        old.save(update_fields=["state", "closed_at"])

    request = ReviewRequest(
        revision=revision,
        submitted_by=user,
        submitted_at=now,
        note=note,
        assignee=assignee,
        pool=pool,
        due_on=due_on,
    )
    request.full_clean()
    request.save()
    asked = assignee.display_name if assignee else (f"the {pool} pool" if pool else "any physician")
    audit_record(
        action=AuditEvent.Action.SUBMITTED,
        actor=user,
        revision=revision,
        message=f"Revision {revision.number} sent for medical review to {asked}, due {due_on}.",
        data={
            "request_id": request.pk,
            "cancelled_request_ids": [r.pk for r in superseded],
            "assignee_id": assignee.pk if assignee else None,
            "pool": pool,
            "due_on": due_on.isoformat(),
        },
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
    """Number of the latest revision of the same article validly approved before this one."""
    result = (
        SignOff.objects.valid_approvals()
        .filter(revision__article_id=revision.article_id, revision__number__lt=revision.number)
        .aggregate(last=Max("revision__number"))
    )
    return result["last"] or 0


def separation_of_duties_refusal(
    *, revision: ArticleRevision, user: AbstractBaseUser
) -> str | None:
    """
    Why ``user`` may not approve ``revision`` because they wrote or edited it; None if they may.

    Bound to the revision: it records who created or edited its content since the last
    approval (`editor_ids`) and the byline's logins when it was made (`byline_user_ids`), so
    removing someone from the byline before they sign and putting them back afterwards does
    not help. The article's current byline and the creators of revisions since the last
    approval are refused too. Checked when signing and again when publishing.
    """
    if revision.created_by_id == user.pk or user.pk in (revision.editor_ids or ()):
        return (
            "You wrote or edited this revision's content since its last approval; a reviewer "
            "cannot sign content they changed."
        )
    if user.pk in (revision.byline_user_ids or ()):
        return (
            "You were credited as an author of this article when this revision was made; an "
            "author cannot review it."
        )
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
    expected_hash: str,
    attested: bool,
    now: datetime,
    passkey: PasskeySignature | None = None,
) -> ReviewerProfile:
    """Every rule a signature must pass; returns the signer's profile or raises SignOffRefused."""
    if decision not in SignOff.Decision.values:
        raise _refuse("decision", f"Unknown decision {decision!r}.")
    profile = _profile_of(user)
    if profile is None:
        raise _refuse("no_profile", "Only a reviewing physician with a reviewer profile can sign.")
    if (until := lockout.signing_locked_until(user=user, now=now)) is not None:
        raise _refuse("locked", lockout.signing_lockout_refusal_message(until))
    if (reason := profile.signing_refusal(now)) is not None:
        raise _refuse("not_eligible", reason)
    if SignOff.objects.filter(reviewer=profile).exclude(signer_id=user.pk).exists():
        # The profile signed before with another login: it was re-pointed behind the app.
        raise _refuse(
            "identity",
            "This reviewer profile has signed with another login before; nothing can be signed "
            "with it until a site administrator investigates.",
        )
    if (reason := separation_of_duties_refusal(revision=revision, user=user)) is not None:
        raise _refuse("separation_of_duties", reason)
    if not attested:
        raise _refuse(
            "not_attested",
            "Tick the attestation to confirm you reviewed this revision and intend to sign it.",
        )
    if passkey is None and (not password or not user.check_password(password)):
        raise _refuse("wrong_password", "The password is not correct; nothing was signed.")
    if expected_hash != revision.content_hash:
        raise _refuse(
            "content_changed",
            f"Revision {revision.number} is not the content you reviewed: the screen you "
            f"signed from showed hash {expected_hash[:12]}…, the revision now holds "
            f"{revision.content_hash[:12]}…. Nothing was signed; reload the review screen "
            "and read it again.",
        )
    actual = revision.compute_hash()
    if actual != revision.content_hash:
        raise _refuse(
            "hash_mismatch",
            f"Revision {revision.number}'s stored content no longer matches its hash "
            f"(recorded {revision.content_hash[:12]}…, content now hashes to {actual[:12]}…); "
            "it may have been changed behind the application's back and cannot be signed.",
        )
    if decision == SignOff.Decision.APPROVED:
        # Retraction status is read here, from the registered source, never from the caller.
        retracted = checks.retracted_among(checks.cited_pmids(revision.snapshot))
        blocking = checks.blocking_findings(
            checks.check_snapshot(revision.snapshot, retracted_pmids=retracted)
        )
        if blocking:
            raise _refuse(
                "blocking_findings",
                "This revision cannot be approved: " + " ".join(f.message for f in blocking),
            )
    return profile


def passkey_signing_challenge(
    *, revision: ArticleRevision, decision: str, content_hash: str, nonce: str
) -> bytes:
    """
    The challenge a passkey signs for ``decision`` on ``revision`` as a screen showing
    ``content_hash`` displays it: bound to the content, the decision and its meaning, the
    revision's open review request and the screen's nonce (`reviews.passkeys`).
    """
    return _challenge(
        revision=revision,
        request=open_request(revision),
        decision=decision,
        content_hash=content_hash,
        nonce=nonce,
    )


def _challenge(*, revision, request, decision: str, content_hash: str, nonce: str) -> bytes:
    return signing_challenge(
        revision_id=revision.pk,
        content_hash=content_hash,
        decision=decision,
        meaning=SignOff.MEANINGS[decision],
        request_id=request.pk if request else None,
        nonce=nonce,
    )


def _passkey_check(
    *,
    revision: ArticleRevision,
    profile: ReviewerProfile,
    decision: str,
    expected_hash: str,
    signature: PasskeySignature,
) -> tuple[Passkey, dict]:
    """
    The physician's passkey that made ``signature``, with the device's new signature counter
    (saved by the caller with the sign-off), and the record of the assertion to keep with the
    sign-off; raises `SignOffRefused` ("wrong_passkey").
    """
    passkey = Passkey.objects.select_for_update().filter(
        profile=profile, credential_id=credential_id_of(signature.assertion), revoked_at=None
    ).first()
    if passkey is None:
        raise _refuse(
            "wrong_passkey",
            "This passkey is not one of yours, or it was removed; nothing was signed.",
        )
    # The same request names the challenge and the record (read once).
    request = open_request(revision)
    challenge = _challenge(
        revision=revision,
        request=request,
        decision=decision,
        content_hash=expected_hash,
        nonce=signature.nonce,
    )
    try:
        passkey.sign_count = assertion_verify(
            assertion=signature.assertion,
            passkey=passkey,
            challenge=challenge,
            rp_id=signature.rp_id,
            origin=signature.origin,
            sign_count=passkey.sign_count,
        )
    except PasskeyInvalid as error:
        raise _refuse(
            "wrong_passkey",
            f"The passkey's signature was not accepted, so nothing was signed: {error} "
            "Reload the review screen and sign again.",
        ) from error
    record = {
        "credential": signature.assertion,
        "nonce": signature.nonce,
        "request_id": request.pk if request else None,
        "rp_id": signature.rp_id,
        "origin": signature.origin,
    }
    return passkey, record


def signoff_create(
    *,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    password: str = "",
    passkey: PasskeySignature | None = None,
    decision: str,
    expected_hash: str,
    comment: str = "",
    conflict_of_interest: str = "",
    attested: bool,
) -> SignOff:
    """
    Sign ``revision`` as its medical reviewer: approve it, or request changes.

    Enforced here, for every caller: signing is not locked after failed passwords; the user has
    a verified, unrevoked reviewer profile with an unexpired licence and holds no admin powers;
    they did not write, edit or author the content (as the revision recorded it); they ticked
    the attestation and re-entered their password, or signed with one of their passkeys
    (``passkey``: the device's signature over this decision on this content, checked with the
    passkey's public key and kept with the sign-off); ``expected_hash`` (the hash the review
    screen displayed) is the revision's hash and its stored content still matches it; and, for
    an approval, no blocking content check (a retracted citation, read here) remains; and the
    revision's newest review request is not already decided (`request_decided`, read under the
    chain lock, so a double post signs once).

    The signing time is the server's clock, never the caller's: there is no ``now`` argument.
    A clock behind the newest sign-off is refused with a message, not an error page.

    A refused attempt signs nothing and raises `SignOffRefused`; it is recorded in the audit
    trail *after* the signing transaction has rolled back, so the record survives. (Callers
    must handle the exception rather than let an enclosing transaction roll back.)

    The new sign-off is signed with the site key, extends the global chain under a lock, closes
    the revision's open review requests, and sends `decision_recorded` (the articles app takes
    a live page's stamp away there when changes are requested).
    """
    now = timezone.now()
    wrong_password = None
    try:
        with transaction.atomic():
            # Attempts by one login are serialised (a row lock on its profile), and a wrong
            # password is recorded before the lock is released, so parallel guesses cannot
            # slip past the lockout count.
            list(ReviewerProfile.objects.select_for_update().filter(user_id=user.pk).values("pk"))
            # The signing time is read once the lock is held, so it is never earlier than a
            # failure recorded by an attempt that held the lock before.
            now = timezone.now()
            # The stored revision, as it is now: the object passed in may be stale.
            stored = type(revision).objects.select_related("article").get(pk=revision.pk)
            try:
                profile = _check_signoff(
                    revision=stored,
                    user=user,
                    password=password,
                    decision=decision,
                    expected_hash=expected_hash,
                    attested=attested,
                    now=now,
                    passkey=passkey,
                )
            except SignOffRefused as refusal:
                if refusal.code != "wrong_password":
                    raise
                _audit_refusal(refusal, user=user, revision=revision, decision=decision, now=now)
                lockout.signing_failure_after(user=user, now=now)
                wrong_password = refusal  # committed with the transaction, then raised
            else:
                used = (None, {})
                if passkey is not None:
                    used = _passkey_check(
                        revision=stored,
                        profile=profile,
                        decision=decision,
                        expected_hash=expected_hash,
                        signature=passkey,
                    )
                signoff = _signoff_append(
                    revision=stored,
                    user=user,
                    profile=profile,
                    decision=decision,
                    comment=comment,
                    conflict_of_interest=conflict_of_interest,
                    now=now,
                    passkey=used,
                )
                if used[0] is not None:
                    used[0].last_used_at = signoff.signed_at
                    used[0].save(update_fields=["sign_count", "last_used_at"])
    except SignOffRefused as refusal:
        _audit_refusal(refusal, user=user, revision=revision, decision=decision, now=now)
        raise
    if wrong_password is not None:
        raise wrong_password
    return signoff


def _refuse_second_approval(revision: ArticleRevision, profile: ReviewerProfile) -> None:
    """One physician approves an open request once: a policy of two needs another physician."""
    request = open_request(revision)
    if request is None:
        return
    again = SignOff.objects.standing().filter(
        revision_id=revision.pk, reviewer=profile, signed_at__gte=request.submitted_at
    )
    if again.exists():
        raise _refuse(
            "already_approved",
            "You have already approved this revision; nothing was signed. Its approval policy "
            f"needs another physician: {revision.approval_policy().describe()}",
        )


def _requests_after_decision(revision: ArticleRevision, signoff: SignOff, *, now) -> str:
    """
    Close the revision's open review requests with ``signoff``'s decision, unless it is an
    approval that leaves the revision's approval policy unmet (`reviews.approvals`): then the
    requests stay open, passed to the pool that can give the approval still needed, and what
    is still needed is returned (for the audit trail); "" otherwise.
    """
    approved = signoff.decision == SignOff.Decision.APPROVED
    unmet, wanted = None, []
    if approved:
        policy = revision.approval_policy()
        standing = list(
            SignOff.objects.standing().filter(revision_id=revision.pk).select_related("reviewer")
        )
        unmet = policy.unmet((s.reviewer_id, s.reviewer.specialty) for s in standing)
        held = {s.reviewer.specialty.strip().casefold() for s in standing}
        wanted = [sp for sp in policy.specialties if sp.strip().casefold() not in held]
    requests = ReviewRequest.objects.select_for_update().filter(
        revision=revision, state=ReviewRequest.State.OPEN
    )
    for request in requests:
        if unmet:
            request.assignee, request.pool = None, (wanted[0] if wanted else "")
            request.full_clean()
            request.save(update_fields=["assignee", "pool"])
            continue
        request.state = (
            ReviewRequest.State.APPROVED if approved else ReviewRequest.State.CHANGES_REQUESTED
        )
        request.closed_at = now
        request.full_clean()
        request.save(update_fields=["state", "closed_at"])
    return unmet or ""


def _audit_refusal(refusal: SignOffRefused, *, user, revision, decision: str, now) -> None:
    tampered = refusal.code == "hash_mismatch"
    audit_record(
        action=(
            AuditEvent.Action.TAMPER_DETECTED if tampered else AuditEvent.Action.SIGNATURE_FAILED
        ),
        actor=user,
        revision=revision,
        message=f"Signature refused: {refusal.message}",
        data={"code": refusal.code, "decision": decision},
        now=now,
    )


def _signoff_append(
    *,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    profile: ReviewerProfile,
    decision: str,
    comment: str,
    conflict_of_interest: str,
    now: datetime,
    passkey: tuple[Passkey | None, dict],
) -> SignOff:
    """Write the signed sign-off at the head of the chain, close requests, audit, notify."""
    using = SignOff.objects.db
    _lock_chain(using)
    # The signing time is read again once the chain is ours: another physician who signed
    # while this one waited for the lock is before it in the chain and in time, so only a
    # clock that is really behind is refused below (not a signature made at the same moment).
    now = max(now, timezone.now())
    # Read under the chain lock, so of two posts of one decision (a double click, two tabs,
    # two physicians at once) only the first signs: the second finds the request decided.
    decided, _ = request_decided(revision)
    if decided is not None:
        raise _refuse(
            "already_decided",
            f"This review request was already decided ({decided.get_state_display().lower()}); "
            "nothing was signed. Send the revision for review again to sign a new decision.",
        )
    if decision == SignOff.Decision.APPROVED:
        _refuse_second_approval(revision, profile)
    head = SignOff.objects.order_by("-pk").only("record_hash", "signed_at").first()
    if head is not None and now < head.signed_at:
        # The chain's order is the order of signing. A clock behind the newest record (clock
        # skew between servers, or a record dated in the future) must not make "last
        # reviewed" disagree with it, nor crash: the physician is told to try again.
        raise _refuse(
            "clock",
            "This server's clock is behind the newest signature on record "
            f"({head.signed_at.isoformat()}), so nothing was signed. Try again in a minute; "
            "if this persists, tell a site administrator (the server clock needs checking).",
        )
    signoff = SignOff(
        revision=revision,
        reviewer=profile,
        signer=user,
        printed_name=profile.signing_name,
        credentials=profile.credentials,
        signed_at=now,
        decision=decision,
        meaning=SignOff.MEANINGS[SignOff.Decision(decision)],
        content_hash=revision.content_hash,
        comment=comment.strip(),
        conflict_of_interest=conflict_of_interest.strip(),
        previous_hash=head.record_hash if head else "",
        version=SignOff.PASSKEY_RECORD_VERSION if passkey[0] else SignOff.RECORD_VERSION,
        passkey=passkey[0],
        passkey_assertion=passkey[1],
        article_id_signed=revision.article_id,
        revision_number=revision.number,
        key_id=keys.active_key_id(),
    )
    signoff.record_hash = signoff.compute_record_hash()
    signed_by, signoff.signature = keys.sign(signoff.canonical_bytes())
    public_by, signoff.public_signature = keys.sign(signoff.public_bytes())
    if signoff.key_id != signed_by or signoff.key_id != public_by:
        # The key changed between two reads: never mislabel a signature.
        raise RuntimeError("The signing key changed while signing; try again.")
    signoff.full_clean()
    signoff.save()

    approved = decision == SignOff.Decision.APPROVED
    still_needed = _requests_after_decision(revision, signoff, now=now)

    audit_record(
        action=AuditEvent.Action.APPROVED if approved else AuditEvent.Action.CHANGES_REQUESTED,
        actor=user,
        revision=revision,
        message=f"{signoff.display_name}: {signoff.meaning}"
        + (f" {still_needed}" if still_needed else ""),
        data={"signoff_id": signoff.pk, "content_hash": signoff.content_hash},
        now=now,
    )
    decision_recorded.send(sender=SignOff, signoff=signoff, now=now)
    # The new tree head goes outside the database once the signature is committed.
    transaction.on_commit(lambda: log.write_head_file(now=now), using=using)
    return signoff
