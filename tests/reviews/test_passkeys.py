"""
Signing with a passkey (issue 12, part 5), against the server's real WebAuthn checks: a
physician registers a passkey themselves, with their password; the device signs a challenge
derived from the content hash, the decision, its meaning and the request; the assertion is
kept with the sign-off and `verify_signoffs` checks it again with the physician's public key,
so a record rewritten and re-sealed with the site key still fails.

The device is `tests.passkey_device.SoftPasskey` (the browser tests use Chromium's virtual
authenticator instead).
"""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from reviews import keys
from reviews.models import AuditEvent, Passkey, ReviewRequest, SignOff
from reviews.passkeys import (
    PasskeySignature,
    RelyingParty,
    new_nonce,
    registration_options,
    signing_challenge,
)
from reviews.services import (
    SignOffRefused,
    passkey_signing_challenge,
    review_request_create,
    signoff_create,
    signoff_passkeys_verify,
)
from reviews.services.passkeys import passkey_add, passkey_remove
from tests.factories.articles import EditorFactory
from tests.factories.reviews import PASSWORD, AdminUserFactory, ReviewerProfileFactory
from tests.passkey_device import SoftPasskey, b64url
from tests.reviews.conftest import make_revision
from tests.tamper import tamper

RP = RelyingParty(rp_id="testserver", origin="http://testserver", name="Test site")


def register(profile, device=None, *, password=PASSWORD, name="Work laptop", verified=True):
    device = device or SoftPasskey()
    challenge = b"registration-challenge-0123456789"
    options = registration_options(profile=profile, rp=RP, challenge=challenge)
    credential = device.create(options, verified=verified)
    passkey = passkey_add(
        user=profile.user,
        password=password,
        name=name,
        credential=credential,
        challenge=challenge,
        rp=RP,
    )
    return passkey, device


def signature(revision, device, decision="approved", *, nonce=None, content_hash=None):
    """What the review screen posts: the device's assertion over this decision's challenge."""
    nonce = nonce or new_nonce()
    challenge = passkey_signing_challenge(
        revision=revision,
        decision=decision,
        content_hash=content_hash or revision.content_hash,
        nonce=nonce,
    )
    return PasskeySignature(
        assertion=device.get(b64url(challenge)), nonce=nonce, rp_id=RP.rp_id, origin=RP.origin
    )


def sign(revision, profile, passkey_signature, decision="approved"):
    return signoff_create(
        revision=revision,
        user=profile.user,
        passkey=passkey_signature,
        decision=decision,
        comment="Cite the trial." if decision != "approved" else "",
        attested=True,
        expected_hash=revision.content_hash,
    )


# --- Registering -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_physician_registers_a_passkey_with_their_password_and_is_told(
    reviewer, django_capture_on_commit_callbacks
):
    reviewer.user.email = "roe@example.org"
    reviewer.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        passkey, device = register(reviewer)
    assert (passkey.profile, passkey.name, passkey.revoked_at) == (reviewer, "Work laptop", None)
    assert passkey.credential_id == b64url(device.credential_id)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSKEY_ADDED)
    assert (event.actor, event.data["passkey_id"]) == (reviewer.user, passkey.pk)
    [message] = mail.outbox
    assert message.to == ["roe@example.org"]
    assert message.subject == "A passkey was added to your signing profile"
    assert "If this was not you" in message.body


@pytest.mark.django_db
def test_a_wrong_password_adds_no_passkey_and_counts_towards_the_signing_lockout(reviewer):
    with pytest.raises(ValidationError, match="The password is not correct"):
        register(reviewer, password="guess")
    assert not Passkey.objects.exists()
    failure = AuditEvent.objects.get(action=AuditEvent.Action.SIGNATURE_FAILED)
    assert failure.actor == reviewer.user and failure.data["code"] == "wrong_password"


@pytest.mark.django_db
def test_a_device_that_did_not_verify_the_physician_is_refused(reviewer):
    with pytest.raises(ValidationError, match="could not be verified"):
        register(reviewer, verified=False)
    assert not Passkey.objects.exists()


@pytest.mark.django_db
def test_no_one_without_a_reviewer_profile_can_add_a_passkey():
    admin = AdminUserFactory()
    with pytest.raises(ValidationError, match="Only a reviewing physician"):
        passkey_add(
            user=admin, password=PASSWORD, name="x", credential={}, challenge=b"c" * 32, rp=RP
        )


# --- Signing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_decision_signed_with_a_passkey_keeps_the_assertion_and_verifies(revision, reviewer):
    request = review_request_create(revision=revision, user=EditorFactory())
    passkey, device = register(reviewer)
    signed = signature(revision, device)

    signoff = sign(revision, reviewer, signed)

    assert (signoff.version, signoff.passkey) == (SignOff.PASSKEY_RECORD_VERSION, passkey)
    assert signoff.passkey_assertion == {
        "credential": signed.assertion,
        "nonce": signed.nonce,
        "request_id": request.pk,
        "rp_id": "testserver",
        "origin": "http://testserver",
    }
    # The assertion is part of the record the site signed.
    assert signoff.canonical_record()["passkey_assertion"] == signoff.passkey_assertion
    passkey.refresh_from_db()
    assert (passkey.sign_count, passkey.last_used_at) == (1, signoff.signed_at)
    assert signoff_passkeys_verify() == []


@pytest.mark.django_db
def test_the_challenge_binds_this_revisions_open_request(revision, reviewer):
    """Not another page's open request, nor this revision's decided one."""
    editor = EditorFactory()
    other = make_revision()
    review_request_create(revision=other, user=editor)  # another page, waiting
    decided = review_request_create(revision=revision, user=editor)
    _, device = register(reviewer)
    sign(revision, reviewer, signature(revision, device))
    open_now = review_request_create(revision=revision, user=editor)
    assert open_now.pk != decided.pk
    expected = signing_challenge(
        revision_id=revision.pk,
        content_hash=revision.content_hash,
        decision="approved",
        meaning=SignOff.MEANINGS["approved"],
        request_id=open_now.pk,
        nonce="n",
    )
    assert (
        passkey_signing_challenge(
            revision=revision, decision="approved", content_hash=revision.content_hash, nonce="n"
        )
        == expected
    )
    second = sign(revision, reviewer, signature(revision, device))
    assert second.passkey_assertion["request_id"] == open_now.pk


@pytest.mark.django_db
def test_a_physician_with_two_passkeys_signs_with_either(revision, reviewer):
    _, laptop = register(reviewer, name="Laptop")
    phone_key, phone = register(reviewer, name="Phone")
    signoff = sign(revision, reviewer, signature(revision, phone))
    assert signoff.passkey == phone_key


@pytest.mark.django_db
def test_a_cloned_device_whose_counter_does_not_move_on_cannot_sign(revision, reviewer):
    """Authenticators count their signatures; a copy of the key replays an old count."""
    editor = EditorFactory()
    review_request_create(revision=revision, user=editor)
    _, device = register(reviewer)
    sign(revision, reviewer, signature(revision, device))  # the device's count is now 1
    review_request_create(revision=revision, user=editor)
    device.count = 0  # the clone starts where the original was
    with pytest.raises(SignOffRefused) as refused:
        sign(revision, reviewer, signature(revision, device))
    assert refused.value.code == "wrong_passkey"
    assert refused.value.message.startswith(
        "The passkey's signature was not accepted, so nothing was signed: "
    )
    assert refused.value.message.endswith(" Reload the review screen and sign again.")


@pytest.mark.django_db
def test_an_assertion_for_another_decision_signs_nothing(revision, reviewer):
    review_request_create(revision=revision, user=EditorFactory())
    _, device = register(reviewer)
    approval = signature(revision, device, "approved")
    with pytest.raises(SignOffRefused) as refused:
        sign(revision, reviewer, approval, decision="changes_requested")
    assert refused.value.code == "wrong_passkey"
    assert not SignOff.objects.exists()
    assert AuditEvent.objects.filter(data__code="wrong_passkey").count() == 1


@pytest.mark.django_db
def test_an_assertion_for_other_content_signs_nothing(revision, reviewer):
    _, device = register(reviewer)
    other = signature(revision, device, content_hash="0" * 64)
    with pytest.raises(SignOffRefused) as refused:
        sign(revision, reviewer, other)
    assert refused.value.code == "wrong_passkey"
    assert not SignOff.objects.exists()


@pytest.mark.django_db
def test_another_physicians_passkey_or_a_removed_one_cannot_sign(revision, reviewer):
    colleague = ReviewerProfileFactory()
    _, theirs = register(colleague)
    with pytest.raises(SignOffRefused) as refused:
        sign(revision, reviewer, signature(revision, theirs))
    assert refused.value.code == "wrong_passkey"
    assert refused.value.message == (
        "This passkey is not one of yours, or it was removed; nothing was signed."
    )

    mine, device = register(reviewer, name="Phone")
    passkey_remove(user=reviewer.user, passkey=mine)
    with pytest.raises(SignOffRefused, match="not one of yours"):
        sign(revision, reviewer, signature(revision, device))
    with pytest.raises(ValidationError, match="only remove your own"):
        passkey_remove(user=reviewer.user, passkey=Passkey.objects.get(profile=colleague))
    assert not SignOff.objects.exists()


@pytest.mark.django_db
def test_a_replayed_assertion_signs_nothing(revision, reviewer):
    """The same device signature posted again (a copied request) is refused."""
    review_request_create(revision=revision, user=EditorFactory())
    _, device = register(reviewer)
    signed = signature(revision, device)
    sign(revision, reviewer, signed)
    review_request_create(revision=revision, user=EditorFactory())  # a new request, a new form
    with pytest.raises(SignOffRefused) as refused:
        sign(revision, reviewer, signed)
    assert refused.value.code == "wrong_passkey"
    assert SignOff.objects.count() == 1


# --- verify_signoffs -------------------------------------------------------------------------


def _reseal(signoff: SignOff) -> None:
    """Rewrite a sign-off's assertion and seal it again with the site key, as one who holds
    both the database and the site key could."""
    signoff.record_hash = signoff.compute_record_hash()
    _, signature_ = keys.sign(signoff.canonical_bytes())
    _, public = keys.sign(signoff.public_bytes())
    tamper(
        "UPDATE reviews_signoff SET passkey_assertion = %s, record_hash = %s, signature = %s, "
        "public_signature = %s WHERE id = %s",
        [
            json.dumps(signoff.passkey_assertion),
            signoff.record_hash,
            signature_,
            public,
            signoff.pk,
        ],
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("part", ["signature", "nonce", "authenticatorData"])
def test_verify_signoffs_fails_when_a_stored_assertion_is_altered(settings, tmp_path, part):
    settings.SIGNOFF_LOG_HEAD_FILE = str(tmp_path / "head.json")
    revision, reviewer = make_revision(), ReviewerProfileFactory()
    _, device = register(reviewer)
    signoff = sign(revision, reviewer, signature(revision, device))
    assert signoff_passkeys_verify() == []

    record = signoff.passkey_assertion
    if part == "nonce":
        record["nonce"] = new_nonce()
    else:
        response = record["credential"]["response"]
        other = device.get(b64url(b"another challenge, signed by the same device"))
        response[part] = other["response"][part]
    _reseal(signoff)
    assert SignOff.objects.get(pk=signoff.pk).passkey_assertion == record

    [problem] = signoff_passkeys_verify()
    assert problem.startswith(f"SignOff #{signoff.pk} (approved by {signoff.display_name}")
    assert "the physician's passkey “Work laptop” did not sign this record" in problem
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_signoffs", "--no-audit", stdout=out, stderr=out)
    assert "did not sign this record" in out.getvalue()


@pytest.mark.django_db
def test_password_signatures_are_not_passkey_records(revision, reviewer):
    signoff = signoff_create(
        revision=revision,
        user=reviewer.user,
        password=PASSWORD,
        decision="approved",
        attested=True,
        expected_hash=revision.content_hash,
    )
    assert (signoff.version, signoff.passkey, signoff.passkey_assertion) == (2, None, {})
    assert "passkey_assertion" not in signoff.canonical_record()
    assert ReviewRequest.objects.count() == 0
