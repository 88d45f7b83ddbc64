"""
Acceptance (issue 14): with PubMed hanging, an editor's save answers "PubMed could not be
reached" within the save deadline, keeps the typed text, stores nothing, and never holds the
database meanwhile, so another editor's save goes through at once. On SQLite the admin's
transaction takes the database's write lock (transaction_mode IMMEDIATE); on PostgreSQL the
form locks the article's row: a PubMed call inside either would block the second save.

The PubMed here is a real socket on 127.0.0.1 that accepts and never answers, reached through
the real client and transport; only PUBMED_EFETCH_URL and the deadline are changed.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections
from django.test import Client

import references.services
from articles.models import Article
from references.models import Citation
from tests.articles.test_admin import change_url, form_data
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.loopback import hanging_server

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = 4


@pytest.fixture
def hanging_pubmed(settings, monkeypatch):
    # Undo the articles tests' "no network" stand-in: this test uses the real client.
    monkeypatch.setattr(
        "articles.content.services.pubmed_client_from_settings",
        references.services.pubmed_client_from_settings,
    )
    with hanging_server() as server:
        settings.PUBMED_EFETCH_URL = server.url
        settings.PUBMED_SAVE_DEADLINE = DEADLINE
        yield server


def _client_for(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def test_a_hanging_pubmed_costs_the_editor_the_deadline_and_blocks_no_one(hanging_pubmed):
    waiting = ArticleFactory(body="<p>Old text.</p>")
    other = ArticleFactory(body="<p>Another page.</p>")
    waiting.refresh_from_db()
    other.refresh_from_db()
    typed = "<p>New claim [PMID:22222222], typed with care.</p>"
    waiting_data = form_data(waiting, body=typed)
    other_data = form_data(other, body="<p>Another page, edited.</p>")
    first, second = _client_for(EditorFactory()), _client_for(EditorFactory())

    result = {}

    def save_waiting_for_pubmed():
        started = time.monotonic()
        try:
            result["response"] = first.post(change_url(waiting), waiting_data)
        finally:
            result["seconds"] = time.monotonic() - started
            connections.close_all()

    thread = threading.Thread(target=save_waiting_for_pubmed)
    thread.start()
    # Wait until the first save is waiting on PubMed, then save the other article.
    deadline = time.monotonic() + 5
    while hanging_pubmed.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hanging_pubmed.requests == 1
    started = time.monotonic()
    response = second.post(change_url(other), other_data)
    other_seconds = time.monotonic() - started
    # Saved while the first editor's save was still waiting on PubMed: nothing it holds (a
    # transaction, a row lock, SQLite's write lock) stood in the way. (Not a time limit: on
    # a loaded machine a plain save may take a second; a blocked one would end after it.)
    first_still_waiting = thread.is_alive()
    thread.join(timeout=DEADLINE + 10)

    # The other editor was not blocked.
    assert response.status_code == 302
    assert first_still_waiting, f"the other save ended after the first ({other_seconds:.1f} s)"
    other.refresh_from_db()
    assert other.body == "<p>Another page, edited.</p>"

    # The first editor got the message within the deadline, with the typed text kept.
    assert not thread.is_alive()
    page = result["response"]
    assert page.status_code == 200
    assert result["seconds"] < DEADLINE + 1.0, f"the save took {result['seconds']:.1f} s"
    content = page.content.decode()
    assert "PubMed could not be reached to check PMID 22222222" in content
    assert "typed with care" in content
    waiting.refresh_from_db()
    assert waiting.body == "<p>Old text.</p>"
    assert not Citation.objects.filter(pmid="22222222").exists()
    assert Article.objects.get(pk=waiting.pk).version == waiting.version


def test_fetching_inside_a_transaction_is_refused_before_any_network_call():
    from django.db import transaction

    from references.services import citations_ensure

    class Recorder:
        calls = 0

        def fetch(self, pmids):
            Recorder.calls += 1
            return {}

    with transaction.atomic(), pytest.raises(RuntimeError, match="inside a database transaction"):
        citations_ensure(pmids=["12345"], client=Recorder())
    assert Recorder.calls == 0
