"""
Physicians signing at the same moment extend one chain: the signing service serialises
sign-offs (an advisory lock on PostgreSQL), so no signature fails on the chain's unique
predecessor and none forks it. The race exists only where writers run in parallel: PostgreSQL.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from reviews.models import SignOff
from reviews.services import signoff_create
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
