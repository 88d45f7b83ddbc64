"""
The public sign-off log, checked as an outsider would: only HTTP, the published keys and a
standard JOSE library. Tree heads verify, every demo sign-off has an inclusion proof to the
head, and a head saved earlier is proved a prefix of a later one; rewritten history is not.
"""

import hashlib
import json
import urllib.request

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from joserfc import jws
from joserfc.jwk import KeySet

from reviews import transparency
from reviews.models import SignOff
from tests.factories.articles import ArticleFactory
from tests.tamper import tamper


def fetch(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310 (loopback)
        assert response.status == 200
        return json.loads(response.read())


def verified_payload(signed: dict, jwks: dict) -> dict:
    """Check a {"jws", "payload"} wrapper with the published keys only; return the payload."""
    keys = KeySet.import_key_set(jwks)
    token = jws.deserialize_compact(signed["jws"], keys, algorithms=["Ed25519"])
    payload = json.loads(token.payload)
    assert payload == signed["payload"]
    return payload


def entry_signature_verifies(entry: dict, jwks: dict) -> bool:
    """Ed25519 over the entry's public part, with the JWK whose kid the entry names."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    public = {k: v for k, v in entry.items() if k not in ("signoff_id", "public_signature")}
    data = json.dumps(public, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == entry["key_id"]]
    key = Ed25519PublicKey.from_public_bytes(transparency_b64(jwk["x"]))
    try:
        key.verify(transparency_b64(entry["public_signature"]), data.encode("utf-8"))
    except InvalidSignature:
        return False
    return True


def transparency_b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def leaf(entry: dict) -> bytes:
    data = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"\x00" + data.encode("utf-8")).digest()


@pytest.mark.django_db(transaction=True)
def test_every_demo_sign_off_is_in_the_signed_tree_head_over_http(live_server, settings):
    with override_settings(DEBUG=True):  # the demo loader runs in development only
        call_command("loaddemo", verbosity=0)
    base = live_server.url
    jwks = fetch(base, "/.well-known/jwks.json")
    head = verified_payload(fetch(base, reverse("transparency:tree_head")), jwks)
    size = head["tree_size"]
    assert size == SignOff.objects.count() >= 5
    root = transparency.hash_from_hex(head["root_hash"])
    entries = fetch(base, reverse("transparency:entries"))["entries"]
    assert [item["index"] for item in entries] == list(range(size))
    for item in entries:
        proof = fetch(
            base, reverse("transparency:inclusion") + f"?index={item['index']}&tree_size={size}"
        )
        assert proof["entry"] == item["entry"]
        path = transparency.proof_from_json(proof["audit_path"])
        assert transparency.verify_inclusion(
            leaf_hash=leaf(item["entry"]), index=item["index"], tree_size=size, proof=path,
            root=root,
        )
        # The entry is the site's signed statement: its public signature verifies with the
        # published key alone (a row forged in the database has none that does).
        assert entry_signature_verifies(item["entry"], jwks)
        # One changed character in the entry: the proof no longer holds.
        altered = {**item["entry"], "printed_name": item["entry"]["printed_name"] + "."}
        assert not entry_signature_verifies(altered, jwks)
        assert not transparency.verify_inclusion(
            leaf_hash=leaf(altered), index=item["index"], tree_size=size, proof=path, root=root
        )


@pytest.mark.django_db(transaction=True)
def test_a_saved_head_is_a_prefix_of_later_heads_and_rewritten_history_is_not(client):
    for _ in range(3):
        ArticleFactory(live=True)
    saved = client.get(reverse("transparency:tree_head")).json()["payload"]
    ArticleFactory(live=True)
    ArticleFactory(live=True)
    proof = client.get(
        reverse("transparency:consistency") + f"?first={saved['tree_size']}"
    ).json()
    assert transparency.verify_consistency(
        old_size=saved["tree_size"],
        new_size=proof["second"],
        old_root=transparency.hash_from_hex(saved["root_hash"]),
        new_root=transparency.hash_from_hex(proof["tree_head"]["payload"]["root_hash"]),
        proof=transparency.proof_from_json(proof["consistency"]),
    )
    assert proof["second"] == 5
    # Someone with database access rewrites the first record (no signature can follow it).
    first = SignOff.objects.order_by("pk").first()
    tamper(
        "UPDATE reviews_signoff SET printed_name = %s WHERE id = %s", ["Someone Else", first.pk]
    )
    proof = client.get(
        reverse("transparency:consistency") + f"?first={saved['tree_size']}"
    ).json()
    assert not transparency.verify_consistency(
        old_size=saved["tree_size"],
        new_size=proof["second"],
        old_root=transparency.hash_from_hex(saved["root_hash"]),
        new_root=transparency.hash_from_hex(proof["tree_head"]["payload"]["root_hash"]),
        proof=transparency.proof_from_json(proof["consistency"]),
    )


@pytest.mark.django_db
def test_bad_proof_requests_are_404_not_errors(client):
    ArticleFactory(live=True)
    for query in (
        reverse("transparency:inclusion") + "?index=5",
        reverse("transparency:inclusion") + "?index=x",
        reverse("transparency:inclusion"),
        reverse("transparency:consistency") + "?first=3&second=1",
        reverse("transparency:tree_head") + "?tree_size=99",
        reverse("transparency:tree_head") + "?tree_size=-1",
    ):
        assert client.get(query).status_code == 404, query


@pytest.mark.django_db
def test_the_feed_carries_the_signed_tree_head(client):
    ArticleFactory(live=True)
    feed = client.get(reverse("articles:feed")).content.decode()
    head = client.get(reverse("transparency:tree_head")).json()["payload"]
    assert 'xmlns:log="urn:healthpages:signoff-log"' in feed
    assert f'size="{head["tree_size"]}"' in feed and f'root="{head["root_hash"]}"' in feed
