"""
The publication record's seal: what it covers, that it is the documented HMAC (so records
sealed by an earlier release keep verifying), that it survives a rotation of `SECRET_KEY`, and
that the page's stored HTML is checked on every page read even though lists skip it.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from articles.publishing.models import Publication
from articles.publishing.publication import compute_seal, publication_is_sound
from tests.factories.articles import ArticleFactory
from tests.tamper import tamper

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
# Every sealed column of a record, as stored (ids, text, JSON, dates).
COLUMNS = {
    "article_id": 7,
    "revision_id": 11,
    "signoff_id": 13,
    "taken_back_by_id": None,
    "state": "current",
    "revision_number": 2,
    "rereview": False,
    "content_hash": "a" * 64,
    "slug": "knee-pain",
    "title": "Knee pain",
    "standfirst": "What helps.",
    "featured": True,
    "topics": [{"id": 1, "name": "Knees", "slug": "knees", "is_condition": True}],
    "authors": [{"name": "Ann Lee", "credentials": "RN", "slug": "ann-lee"}],
    "reviewer_id": 3,
    "reviewer_name": "Jane Roe",
    "reviewer_credentials": "DO",
    "reviewer_slug": "jane-roe",
    "published_at": AT,
    "updated_at": AT,
    "last_reviewed_at": AT,
    "next_review_due": AT.replace(year=2027),
    "review_interval_days": 365,
    "withdraw_at": None,
    "reading_minutes": 4,
    "html_hash": "b" * 64,
    "render_version": 1,
    "generation": 5,
}
ALERT = {"number": 2, "pmid": "123", "doi": "", "status": "retracted", "label": "Retracted",
         "date": "2026-02-01"}


def documented_seal(columns: dict, *, secret: str) -> str:
    """The seal as the architecture describes it, computed without the project's code."""
    values = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in columns.items()}
    message = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = hashlib.sha256(b"publication-record-seal-v1" + secret.encode()).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def test_the_seal_is_the_documented_hmac_of_the_columns_so_earlier_seals_keep_verifying():
    record = Publication(**COLUMNS)
    assert compute_seal(record, secret="k") == documented_seal(COLUMNS, secret="k")
    record.source_alerts = [ALERT]
    assert compute_seal(record, secret="k") == documented_seal(
        {**COLUMNS, "source_alerts": [ALERT]}, secret="k"
    )


def test_changing_a_source_alert_breaks_the_seal():
    record = Publication(**COLUMNS, source_alerts=[ALERT])
    record.seal = compute_seal(record)
    assert publication_is_sound(record, lists_only=True)
    record.source_alerts = [{**ALERT, "status": "corrected", "label": "Corrected"}]
    assert not publication_is_sound(record, lists_only=True)


def test_records_sealed_before_a_secret_key_rotation_verify_only_with_the_old_key_kept(settings):
    article = ArticleFactory(live=True)
    record = Publication.objects.get(article=article)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-after-rotation"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert publication_is_sound(record)
    settings.SECRET_KEY_FALLBACKS = []
    assert not publication_is_sound(record)


@pytest.mark.django_db(transaction=True)
def test_html_changed_in_sql_is_never_shown_though_lists_do_not_read_it(client):
    article = ArticleFactory(title="Knee pain", live=True)
    tamper(
        "UPDATE articles_publication SET html = %s WHERE article_id = %s",
        ["<p>Stop your medication.</p>", article.pk],
    )
    record = Publication.objects.get(article=article)
    assert publication_is_sound(record, lists_only=True)  # the list columns are untouched
    assert not publication_is_sound(record)

    response = client.get(article.get_absolute_url())
    assert response.status_code == 503
    assert "Stop your medication" not in response.content.decode()


def test_the_html_hash_is_the_documented_hash_of_the_stored_texts():
    """SHA-256 of HTML, JSON-LD and search text joined by NUL: records written before verify."""
    record = Publication.objects.get(article=ArticleFactory(live=True))
    texts = "\0".join((record.html, record.json_ld, record.search_text))
    assert record.html_hash == hashlib.sha256(texts.encode("utf-8")).hexdigest()
