"""
Public, verifiable attestations: review.json, the canonical export, the JWKS, `verify_page`.

The outsider test uses nothing of ours to verify: real HTTP on loopback and joserfc (a standard
JOSE library) over what the site published.
"""

import hashlib
import io
import json
import urllib.error
import urllib.request
from datetime import UTC
from urllib.parse import urlsplit

import lxml.html
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from articles.content.services import revision_create
from articles.models import SlugRedirect
from reviews import keys
from reviews.models import AuditEvent
from reviews.services import review_request_create, signoff_create
from tests.articles.test_demo import EXPECTED_STATUS
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.factories.workflow import edit_body
from tests.public.test_structured_data import visible_stamp
from tests.tamper import tamper

ALGORITHMS = ["Ed25519"]


def review_url(article) -> str:
    return reverse("articles:review_json", kwargs={"slug": article.slug})


def export_url(article) -> str:
    return reverse("articles:revision_json", kwargs={"slug": article.slug})


def change_one_character(text: str) -> str:
    """`text` with the letter nearest its middle swapped to the other case."""
    middle = len(text) // 2
    for index in sorted(range(len(text)), key=lambda i: abs(i - middle)):
        if text[index].isascii() and text[index].isalpha():
            return text[:index] + text[index].swapcase() + text[index + 1 :]
    raise AssertionError("no letter to change")


def change_one_byte(data: bytes) -> bytes:
    return change_one_character(data.decode("utf-8")).encode("utf-8")


def change_payload_segment(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join([header, change_one_character(payload), signature])


# --- The outsider's check, over HTTP ---------------------------------------------------------


def http_get(url: str) -> tuple[int, dict, bytes]:
    """Status, headers and body of a real HTTP GET (error statuses included)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def demo_site(settings, live_server):
    """The demo, served over HTTP on loopback, with the live server as the site's address."""
    settings.SITE_URL = live_server.url
    settings.REVIEW_INTERVAL_DAYS = 365
    settings.REVIEW_DUE_SOON_DAYS = 30
    with override_settings(DEBUG=True):  # the demo loads in development only
        call_command("loaddemo", stdout=io.StringIO())
    return live_server.url


def test_an_outsider_verifies_every_live_demo_page_with_only_http_and_a_jose_library(demo_site):
    """Acceptance: signature, content hash, page address and stamp name, for each live page."""
    verified = 0
    for slug, (_status, review_status) in EXPECTED_STATUS.items():
        page_url = f"{demo_site}/articles/{slug}/"
        page_status, _, html = http_get(page_url)
        attestation_status, headers, body = http_get(page_url + "review.json")
        if review_status is None:
            # Never approved, or an approval taken back: no page, no attestation, no export.
            assert (page_status, attestation_status) == (404, 404), slug
            assert http_get(page_url + "revision.json")[0] == 404, slug
            continue
        assert (page_status, attestation_status) == (200, 200), slug
        assert headers["Content-Type"] == "application/json"
        assert headers["Cache-Control"] == "public, max-age=0, s-maxage=300"
        document = json.loads(body)

        jwks_status, jwks_headers, jwks_body = http_get(document["jwks_url"])
        assert jwks_status == 200 and jwks_headers["Content-Type"] == "application/jwk-set+json"
        key_set = KeySet.import_key_set(json.loads(jwks_body))
        signed = jws.deserialize_compact(document["jws"], key_set, algorithms=ALGORITHMS)
        payload = json.loads(signed.payload)
        assert signed.protected["typ"] == "health-page-attestation+jwt"
        assert payload == document["payload"]

        export_status, export_headers, export = http_get(payload["canonical_export_url"])
        assert export_status == 200
        assert export_headers["Content-Type"] == "application/json; charset=utf-8"
        assert hashlib.sha256(export).hexdigest() == payload["content_hash"]
        assert payload["url"] == page_url
        reviewer = payload["reviewer"]
        assert (
            visible_stamp(html.decode())["name"] == f"{reviewer['name']}, {reviewer['credentials']}"
        )
        # The export is the content the page shows: its title is the page's heading.
        (heading,) = lxml.html.fromstring(html).xpath("//h1")
        assert heading.text_content() == json.loads(export)["title"]

        # One character changed anywhere breaks the check that covers it.
        assert hashlib.sha256(change_one_byte(export)).hexdigest() != payload["content_hash"]
        with pytest.raises(BadSignatureError):
            jws.deserialize_compact(
                change_payload_segment(document["jws"]), key_set, algorithms=ALGORITHMS
            )
        verified += 1
    assert verified == 6


# --- review.json, revision.json and the JWKS through the test client -------------------------


@pytest.fixture
def article(db, settings):
    settings.SITE_URL = "https://health.example"
    return ArticleFactory(title="Knee pain", faq=1, live=True)


def test_review_json_is_the_signed_payload_of_the_approval_in_force(client, article):
    signoff = article.live_revision.signoffs.get()
    document = client.get(review_url(article)).json()
    payload = document["payload"]
    assert payload == {
        "iss": "https://health.example",
        "iat": payload["iat"],
        "url": f"https://health.example/articles/{article.slug}/",
        "article_slug": article.slug,
        "revision_number": 1,
        "content_hash": article.live_revision.content_hash,
        "hash_alg": "sha-256",
        "canonical_export_url": f"https://health.example/articles/{article.slug}/revision.json",
        "reviewer": {
            "name": signoff.printed_name,
            "credentials": signoff.credentials,
            "profile_url": "https://health.example" + signoff.reviewer.get_absolute_url(),
        },
        "decision": "approved",
        "meaning": signoff.meaning,
        "signed_at": signoff.signed_at.astimezone(UTC).isoformat(),
        "next_review_due": payload["next_review_due"],
        "signoff_record_hash": signoff.record_hash,
        "signoff": {**signoff.public_record(), "public_signature": signoff.public_signature},
        "key_id": keys.active_key_id(),
        "log_index": 0,
    }
    # The sign-off itself verifies with the published key alone, apart from the attestation.
    public = {k: v for k, v in payload["signoff"].items() if k != "public_signature"}
    assert keys.verify(
        kid=public["key_id"],
        data=keys.canonical_json(public),
        signature=payload["signoff"]["public_signature"],
    )
    assert document["jwks_url"] == "https://health.example/.well-known/jwks.json"
    header, body, _ = document["jws"].split(".")
    assert json.loads(keys.b64url_decode(header)) == {
        "alg": "Ed25519",
        "kid": keys.active_key_id(),
        "typ": "health-page-attestation+jwt",
    }
    # The signed bytes are canonical JSON: sorted keys, no spaces.
    assert (
        keys.b64url_decode(body)
        == json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_review_json_costs_a_fixed_number_of_queries(client, article, django_assert_num_queries):
    # The article, its topics, its authors; the approval in force; the sign-off's log position.
    with django_assert_num_queries(2):  # the publication record (with revision), the log index
        assert client.get(review_url(article)).status_code == 200


def test_the_export_is_exactly_the_bytes_that_were_hashed(client, article):
    response = client.get(export_url(article))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert hashlib.sha256(response.content).hexdigest() == article.live_revision.content_hash
    assert json.loads(response.content) == article.live_revision.snapshot


def test_review_json_is_404_for_an_unknown_slug_and_a_never_approved_article(client, db):
    editor = EditorFactory()
    in_review = ArticleFactory()
    revision = revision_create(article=in_review, user=editor)
    review_request_create(revision=revision, user=editor)
    for slug in ("no-such-page", in_review.slug, ArticleFactory().slug):
        assert client.get(f"/articles/{slug}/review.json").status_code == 404, slug
        assert client.get(f"/articles/{slug}/revision.json").status_code == 404, slug


def test_an_approval_taken_back_leaves_the_page_up_but_no_attestation(client, article):
    assert client.get(review_url(article)).status_code == 200
    revision = article.live_revision
    signoff_create(
        revision=revision,
        expected_hash=revision.content_hash,
        user=ReviewerProfileFactory().user,
        password=PASSWORD,
        decision="changes_requested",
        comment="The dose is wrong.",
        attested=True,
    )
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200 and "Verify this review" not in page.text
    assert client.get(review_url(article)).status_code == 404
    assert client.get(export_url(article)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_content_changed_behind_the_apps_back_has_no_attestation_and_writes_no_audit(
    client, article
):
    revision = article.live_revision
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(dict(revision.snapshot, title="Changed")), revision.pk],
    )
    events = AuditEvent.objects.count()
    assert client.get(review_url(article)).status_code == 404
    assert client.get(export_url(article)).status_code == 404
    # The page view records the incident; the uncached JSON must not flood the audit trail.
    assert AuditEvent.objects.count() == events


def test_a_former_slug_redirects_to_the_current_attestation(client, article):
    SlugRedirect.objects.create(old_slug="old-knee-pain", article=article)
    response = client.get("/articles/old-knee-pain/review.json")
    assert response.status_code == 301 and response["Location"] == review_url(article)


def test_the_page_links_its_attestation_and_a_draft_preview_does_not(client, article):
    html = client.get(article.get_absolute_url()).text
    anchor = f'<a href="{review_url(article)}" rel="alternate" type="application/json">'
    assert anchor + "Verify this review</a>" in html
    head = lxml.html.fromstring(html).xpath('//head/link[@type="application/json"]')
    assert [(link.get("rel"), link.get("href")) for link in head] == [
        ("alternate", review_url(article))
    ]
    editor = EditorFactory()
    client.force_login(editor)
    draft = edit_body(article, "<p>Not reviewed yet.</p>", editor=editor)
    preview = client.get(reverse("articles:preview", args=[draft.pk])).text
    assert review_url(article) not in preview


def test_the_jwks_is_public_and_names_the_active_key(client, db):
    response = client.get("/.well-known/jwks.json")
    assert response["Content-Type"] == "application/jwk-set+json"
    assert response["Cache-Control"] == "public, max-age=3600"
    (key,) = response.json()["keys"]
    assert key["kid"] == keys.active_key_id() and key["alg"] == "Ed25519"
    assert "d" not in key  # never the private part


@pytest.fixture
def fresh_keys():
    keys.reset_cache()
    yield
    keys.reset_cache()


def test_after_rotation_the_jwks_lists_both_keys_active_first_and_old_attestations_verify(
    client, article, settings, tmp_path, fresh_keys
):
    old_kid = keys.active_key_id()
    old_document = client.get(review_url(article)).json()
    old_public = serialization.load_pem_private_key(
        settings.SIGNING_KEY.encode(), password=None
    ).public_key()
    retired = tmp_path / "retired.pem"
    retired.write_bytes(
        old_public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings.SIGNING_KEY = keys.generate_private_key_pem().decode()
    settings.SIGNING_RETIRED_PUBLIC_KEYS_FILE = str(retired)
    keys.reset_cache()
    new_kid = keys.active_key_id()
    assert new_kid != old_kid

    jwks = client.get("/.well-known/jwks.json").json()
    assert [key["kid"] for key in jwks["keys"]] == [new_kid, old_kid]
    key_set = KeySet.import_key_set(jwks)
    old = jws.deserialize_compact(old_document["jws"], key_set, algorithms=ALGORITHMS)
    assert old.protected["kid"] == old_kid
    new_document = client.get(review_url(article)).json()
    new = jws.deserialize_compact(new_document["jws"], key_set, algorithms=ALGORITHMS)
    assert new.protected["kid"] == new_kid
    # The sign-off record keeps naming the key that signed it then.
    assert new_document["payload"]["key_id"] == old_kid


# --- manage.py verify_page -------------------------------------------------------------------


@pytest.fixture
def saved(client, article, tmp_path):
    """review.json, the JWKS and the export as an outsider would have saved them."""
    files = {
        "review": client.get(review_url(article)).content,
        "jwks": client.get("/.well-known/jwks.json").content,
        "export": client.get(export_url(article)).content,
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_bytes(content)
    return paths


def verify_page(saved, **options) -> str:
    out = io.StringIO()
    options = {"export": str(saved["export"]), "jwks": str(saved["jwks"]), **options}
    call_command("verify_page", str(saved["review"]), stdout=out, **options)
    return out.getvalue()


def test_verify_page_passes_on_saved_files_and_says_what_it_verified(saved, article):
    signoff = article.live_revision.signoffs.get()
    out = verify_page(saved)
    assert out.startswith(f"Verified: https://health.example/articles/{article.slug}/")
    assert f"key {keys.active_key_id()}" in out
    assert f"SHA-256 {article.live_revision.content_hash}" in out
    assert f"reviewer:  {signoff.printed_name}, {signoff.credentials}" in out


def test_verify_page_fails_naming_the_hash_when_the_export_is_altered(saved):
    saved["export"].write_bytes(change_one_byte(saved["export"].read_bytes()))
    with pytest.raises(CommandError, match=r"FAILED: The export's SHA-256 .* is not the signed"):
        verify_page(saved)


def test_verify_page_fails_naming_the_signature_when_the_jws_is_altered(saved):
    document = json.loads(saved["review"].read_bytes())
    document["jws"] = change_payload_segment(document["jws"])
    saved["review"].write_text(json.dumps(document))
    with pytest.raises(CommandError, match="FAILED: The JWS signature does not verify"):
        verify_page(saved)


def test_verify_page_fails_when_the_clear_payload_differs_from_the_signed_one(saved):
    document = json.loads(saved["review"].read_bytes())
    document["payload"]["reviewer"]["name"] = "Someone Else"
    saved["review"].write_text(json.dumps(document))
    with pytest.raises(CommandError, match="`payload` differs from the signed payload"):
        verify_page(saved)


def test_verify_page_fails_when_the_jwks_lacks_the_signing_key(saved, tmp_path):
    other = tmp_path / "other-jwks.json"
    other.write_text(json.dumps({"keys": []}))
    with pytest.raises(CommandError, match="The JWKS has no key with the JWS's kid"):
        verify_page(saved, jwks=str(other))


class FakeResponse(io.BytesIO):
    status = 200


@pytest.fixture
def fake_web(client, article, monkeypatch):
    """`urlopen` for verify_page: every host answers with this site (a mirror, for others)."""
    fetched = []

    def urlopen(request, timeout):
        assert timeout > 0
        fetched.append(request.full_url)
        return FakeResponse(client.get(urlsplit(request.full_url).path).content)

    monkeypatch.setattr("articles.management.commands.verify_page.urlopen", urlopen)
    return fetched


def test_verify_page_fetches_the_attestation_keys_and_export_the_attestation_names(
    fake_web, article
):
    out = io.StringIO()
    attestation = f"https://health.example{review_url(article)}"
    call_command("verify_page", attestation, stdout=out)
    assert out.getvalue().startswith("Verified:")
    assert fake_web == [
        attestation,
        "https://health.example/.well-known/jwks.json",
        f"https://health.example{export_url(article)}",
    ]


def test_verify_page_refuses_keys_that_an_attestation_points_to_on_another_site(saved, fake_web):
    document = json.loads(saved["review"].read_bytes())
    document["jwks_url"] = "https://attacker.example/jwks.json"
    saved["review"].write_text(json.dumps(document))
    with pytest.raises(CommandError, match="jwks_url .* is not on its issuer's site"):
        verify_page(saved, jwks=None)
    assert fake_web == []


def test_verify_page_refuses_an_attestation_fetched_from_another_issuer(fake_web, article):
    """A site serving another site's attestation does not make it that site's page."""
    with pytest.raises(CommandError, match="names another issuer"):
        call_command("verify_page", f"https://health.example.evil{review_url(article)}")


def test_verify_page_trusts_the_given_jwks_not_this_sites_own_key(saved, settings, fresh_keys):
    """It is the outsider's tool: only what was published counts, not the key it runs with."""
    settings.SIGNING_KEY = keys.generate_private_key_pem().decode()
    keys.reset_cache()
    assert "Verified:" in verify_page(saved)
