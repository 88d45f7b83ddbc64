"""
The last guards of `signoff_create`, at the head of the chain: the server clock (equal to the
newest signature is fine, behind it is a refusal the physician can act on) and the site key
(a signature is never labelled with a key that did not make it).
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reviews import keys
from reviews.models import SignOff
from reviews.services import SignOffRefused, signoff_create
from tests.reviews.conftest import make_revision

pytestmark = pytest.mark.django_db


def sign(revision, reviewer, password):
    return signoff_create(
        revision=revision,
        user=reviewer.user,
        password=password,
        decision=SignOff.Decision.APPROVED,
        attested=True,
        expected_hash=revision.content_hash,
    )


def test_two_signatures_at_the_same_instant_are_both_recorded_in_order(reviewer, password):
    with time_machine.travel(timezone.now(), tick=False):
        first = sign(make_revision(), reviewer, password)
        second = sign(make_revision(), reviewer, password)
    assert first.signed_at == second.signed_at
    assert second.previous_hash == first.record_hash


def test_a_clock_behind_the_newest_signature_tells_the_physician_what_to_do(reviewer, password):
    head = sign(make_revision(), reviewer, password)
    revision = make_revision()
    with (
        time_machine.travel(head.signed_at - timedelta(seconds=1), tick=False),
        pytest.raises(SignOffRefused) as info,
    ):
        sign(revision, reviewer, password)
    assert info.value.code == "clock"
    assert info.value.message == (
        "This server's clock is behind the newest signature on record "
        f"({head.signed_at.isoformat()}), so nothing was signed. Try again in a minute; "
        "if this persists, tell a site administrator (the server clock needs checking)."
    )
    assert not SignOff.objects.filter(revision=revision).exists()


@pytest.fixture
def key_rotated_between_the_two_signatures(monkeypatch, settings):
    """The site key is rotated after the full record is signed, before the public one is."""
    real_sign = keys.sign
    calls = []

    def sign_then_rotate(data):
        calls.append(data)
        if len(calls) == 2:
            settings.SIGNING_KEY = keys.generate_private_key_pem().decode()
            keys.reset_cache()
        return real_sign(data)

    monkeypatch.setattr(keys, "sign", sign_then_rotate)
    yield calls
    keys.reset_cache()


def test_a_key_rotated_in_the_middle_of_signing_signs_nothing(
    reviewer, password, key_rotated_between_the_two_signatures
):
    revision = make_revision()
    with pytest.raises(RuntimeError, match=r"^The signing key changed while signing; try again\.$"):
        sign(revision, reviewer, password)
    assert len(key_rotated_between_the_two_signatures) == 2
    assert not SignOff.objects.filter(revision=revision).exists()
