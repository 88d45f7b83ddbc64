"""
Physicians signing at the same moment extend one chain: the signing service serialises
sign-offs (an advisory lock on PostgreSQL), so no signature fails on the chain's unique
predecessor and none forks it; and one decision posted twice at once signs once. The race
exists only where writers run in parallel: PostgreSQL.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from reviews.models import ReviewRequest, SignOff
from reviews.services import SignOffRefused, review_request_create, signoff_create
from tests.factories.articles import EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.reviews.conftest import make_revision


@pytest.mark.django_db(transaction=True)
def test_physicians_signing_at_the_same_moment_extend_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite runs one writer at a time)")
    pairs = [(ReviewerProfileFactory(), make_revision()) for _ in range(8)]

    def sign(pair):
        physician, revision = pair
        try:
            signoff_create(
                revision=revision,
                user=physician.user,
                password=PASSWORD,
                decision="approved",
                attested=True,
                expected_hash=revision.content_hash,
            )
            return "signed"
        except Exception as error:  # noqa: BLE001 - the test reports any failure by name
            return type(error).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        outcomes = list(pool.map(sign, pairs))

    assert outcomes == ["signed"] * len(pairs)
    chain = list(SignOff.objects.order_by("pk").values_list("previous_hash", "record_hash"))
    assert chain[0][0] == ""
    assert [previous for previous, _ in chain[1:]] == [record for _, record in chain[:-1]]


@pytest.mark.django_db(transaction=True)
def test_a_decision_posted_twice_at_the_same_moment_signs_once():
    """A double click, or two tabs: both posts race past the screen, the service signs one."""
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite runs one writer at a time)")
    revision = make_revision()
    review_request_create(revision=revision, user=EditorFactory())
    physicians = [ReviewerProfileFactory(), ReviewerProfileFactory()]
    posts = [physicians[0], physicians[0], physicians[1], physicians[1]]

    def sign(physician):
        try:
            signoff_create(
                revision=revision,
                user=physician.user,
                password=PASSWORD,
                decision="approved",
                attested=True,
                expected_hash=revision.content_hash,
            )
            return "signed"
        except SignOffRefused as refusal:
            return refusal.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        outcomes = list(pool.map(sign, posts))

    assert sorted(outcomes) == ["already_decided"] * 3 + ["signed"]
    assert SignOff.objects.filter(revision=revision).count() == 1
    assert ReviewRequest.objects.get(revision=revision).state == ReviewRequest.State.APPROVED
