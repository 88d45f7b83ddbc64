"""
The shape of a sign-off record is fixed for good: the record hash and the site signatures are
computed over it, so a record signed by an earlier release must still hash and verify the same,
and an outsider must be able to rebuild the public record from its documented fields. The
expected bytes here are written out by hand, not produced by the model's code.
"""

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from reviews.models import AppendOnlyError, SignOff

# 10:30 in Paris is 09:30 UTC: records store and sign UTC.
SIGNED = datetime(2026, 3, 1, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
SIGNED_UTC = "2026-03-01T09:30:00+00:00"


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record(**changes) -> SignOff:
    fields = {
        "revision_id": 11,
        "reviewer_id": 3,
        "signer_id": 5,
        "printed_name": "Zoë Roe",
        "credentials": "DO",
        "signed_at": SIGNED,
        "decision": SignOff.Decision.APPROVED,
        "meaning": "Medical review: accurate and appropriate for publication.",
        "content_hash": "c" * 64,
        "comment": "Fine.",
        "conflict_of_interest": "",
        "previous_hash": "p" * 64,
        "article_id_signed": 7,
        "revision_number": 2,
        "key_id": "key-1",
        "record_hash": "r" * 64,
    }
    return SignOff(**{**fields, **changes})


VERSION_1 = {
    "v": 1,
    "revision_id": 11,
    "reviewer_id": 3,
    "signer_id": 5,
    "printed_name": "Zoë Roe",
    "credentials": "DO",
    "signed_at": SIGNED_UTC,
    "decision": "approved",
    "meaning": "Medical review: accurate and appropriate for publication.",
    "content_hash": "c" * 64,
    "comment": "Fine.",
    "conflict_of_interest": "",
    "previous_hash": "p" * 64,
}


def test_a_version_2_record_hashes_its_fields_with_the_article_revision_and_key():
    signoff = record(version=2)
    expected = canonical({**VERSION_1, "v": 2, "article_id": 7, "revision_number": 2,
                          "key_id": "key-1"})
    assert signoff.canonical_bytes() == expected
    assert signoff.compute_record_hash() == hashlib.sha256(expected).hexdigest()


def test_a_version_1_record_keeps_its_original_shape_so_its_hash_still_verifies():
    signoff = record(version=1)
    assert signoff.canonical_bytes() == canonical(VERSION_1)
    assert signoff.compute_record_hash() == hashlib.sha256(canonical(VERSION_1)).hexdigest()


def test_the_public_record_is_the_documented_fields_without_the_comment_or_internal_ids():
    expected = canonical({
        "v": 1,
        "article_id": 7,
        "revision_number": 2,
        "content_hash": "c" * 64,
        "decision": "approved",
        "meaning": "Medical review: accurate and appropriate for publication.",
        "printed_name": "Zoë Roe",
        "credentials": "DO",
        "signed_at": SIGNED_UTC,
        "record_hash": "r" * 64,
        "previous_hash": "p" * 64,
        "key_id": "key-1",
    })
    assert record().public_bytes() == expected


def test_a_record_without_a_signing_time_has_none_in_both_forms():
    signoff = record(signed_at=None)
    assert json.loads(signoff.canonical_bytes())["signed_at"] is None
    assert json.loads(signoff.public_bytes())["signed_at"] is None


def test_validation_refuses_a_naive_signing_time_and_a_hash_that_is_not_the_records():
    with pytest.raises(ValidationError) as naive:
        record(signed_at=datetime(2026, 3, 1, 9, 30), record_hash="").clean()
    assert naive.value.message_dict == {"signed_at": ["The signing time must be timezone-aware."]}
    with pytest.raises(ValidationError) as mismatch:
        record().clean()
    assert mismatch.value.message_dict == {
        "record_hash": ["The record hash does not match the record."]
    }
    matching = record()
    matching.record_hash = matching.compute_record_hash()
    matching.clean()  # the record's own hash passes


@pytest.mark.django_db
def test_bulk_changes_to_sign_offs_are_refused_saying_so():
    plural = SignOff._meta.verbose_name_plural
    with pytest.raises(AppendOnlyError) as update:
        SignOff.objects.all().update(comment="rewritten")
    assert str(update.value) == f"{plural} are append-only: they cannot be updated."
    with pytest.raises(AppendOnlyError) as delete:
        SignOff.objects.all().delete()
    assert str(delete.value) == f"{plural} are append-only: they cannot be deleted."
