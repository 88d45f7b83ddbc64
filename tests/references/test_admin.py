"""Citation admin: change list, read-only PubMed metadata, manual entries, "Add by PMID"."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from references.models import Citation
from tests.factories.references import CitationFactory, ManualCitationFactory
from tests.references.conftest import efetch_set, read
from tests.references.test_services import demo_body

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:references_citation_add_by_pmid")
CHANGELIST = reverse("admin:references_citation_changelist")


@pytest.fixture
def fake_pubmed(monkeypatch, make_client):
    """Patch the admin's client factory; returns a function that scripts the responses."""

    def script(responses=None, **kwargs):
        client, transport = make_client(responses, **kwargs)
        monkeypatch.setattr("references.admin.pubmed_client_from_settings", lambda: client)
        return transport

    return script


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_changelist_search_and_filters(admin_client):
    CitationFactory(pmid="29870458", title="Ketamine guideline", authors=[{"last_name": "Cohen"}])
    CitationFactory(pmid="23982301", title="Ketamine RCT", is_retracted=True)
    ManualCitationFactory(title="WHO pain ladder")

    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"Add citations by PMID" in response.content

    found = admin_client.get(CHANGELIST, {"q": "Cohen"}).context["cl"].result_list
    assert [c.pmid for c in found] == ["29870458"]
    found = admin_client.get(CHANGELIST, {"q": "23982301"}).context["cl"].result_list
    assert [c.pmid for c in found] == ["23982301"]
    retracted = admin_client.get(CHANGELIST, {"retracted__exact": "1"}).context["cl"].result_list
    assert [c.pmid for c in retracted] == ["23982301"]
    manual = admin_client.get(CHANGELIST, {"source__exact": "manual"}).context["cl"].result_list
    assert [c.title for c in manual] == ["WHO pain ladder"]
    rcts = admin_client.get(CHANGELIST, {"evidence_label__exact": "rct"}).context["cl"].result_list
    assert len(rcts) == 2


def test_pubmed_citation_metadata_is_read_only(admin_client):
    citation = CitationFactory(pmid="29870458", title="Original title")
    url = reverse("admin:references_citation_change", args=[citation.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b'name="title"' not in response.content
    assert b"https://pubmed.ncbi.nlm.nih.gov/29870458/" in response.content
    admin_client.post(url, {"title": "Hacked"})
    citation.refresh_from_db()
    assert citation.title == "Original title"


def test_manual_citation_added_through_admin_is_labelled_manual(admin_client):
    response = admin_client.post(
        reverse("admin:references_citation_add"),
        {
            "url": "https://www.example.org/guideline",
            "title": "National guideline",
            "authors": "[]",
            "journal_title": "Example Institute",
            "year": "2022",
            "doi": "",
            "evidence_label": "practice_guideline",
        },
    )
    assert response.status_code == 302, response.content
    citation = Citation.objects.get()
    assert citation.source == Citation.Source.MANUAL
    assert citation.pmid is None


def test_manual_citation_without_url_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:references_citation_add"),
        {"url": "", "title": "No link", "authors": "[]", "evidence_label": "other"},
    )
    assert response.status_code == 200
    assert not Citation.objects.exists()


def test_add_by_pmid_form_renders(admin_client):
    response = admin_client.get(ADD_URL)
    assert response.status_code == 200
    assert b"PMIDs or PubMed links" in response.content


def test_add_by_pmid_adds_new_and_reports_present(admin_client, fake_pubmed):
    CitationFactory(pmid="29870458")
    transport = fake_pubmed([demo_body("23982301", "28249076")])
    response = admin_client.post(
        ADD_URL,
        {"pmids": "29870458\nhttps://pubmed.ncbi.nlm.nih.gov/23982301/, [PMID:28249076]"},
    )
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert transport.calls[0]["params"]["id"] == "23982301,28249076"
    assert set(Citation.objects.values_list("pmid", flat=True)) == {
        "29870458",
        "23982301",
        "28249076",
    }
    assert messages_of(response) == [
        "Added 2 citation(s): 23982301, 28249076.",
        "Already present: 29870458.",
    ]


def test_add_by_pmid_reports_unknown_and_invalid_but_adds_the_rest(admin_client, fake_pubmed):
    fake_pubmed(
        [
            read("efetch-pubmed-retraction-notice-27508352.xml"),  # 99999999 missing
            read("efetch-pubmed-retraction-notice-27508352.xml"),  # retry without it
        ]
    )
    response = admin_client.post(ADD_URL, {"pmids": "27508352 99999999 0123"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report == {
        "added": ["27508352"],
        "present": [],
        "failed": ["99999999"],
        "invalid": ["0123"],
    }
    assert list(Citation.objects.values_list("pmid", flat=True)) == ["27508352"]
    assert "Not found in PubMed: 99999999" in messages_of(response)
    assert b"Failed: 99999999" in response.content


def test_add_by_pmid_offline_adds_nothing_and_says_so(admin_client, fake_pubmed):
    fake_pubmed([OSError("Network is unreachable")] * 4)
    response = admin_client.post(ADD_URL, {"pmids": "29870458 23982301"})
    assert response.status_code == 200
    assert response.context["report"]["failed"] == ["29870458", "23982301"]
    assert not Citation.objects.exists()
    (message,) = messages_of(response)
    assert message.startswith("PubMed could not be reached, so nothing was added")


def test_add_by_pmid_requires_add_permission(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(ADD_URL).status_code == 403


def test_changelist_query_count_is_constant(admin_client, django_assert_max_num_queries):
    for _ in range(30):
        CitationFactory()
    with django_assert_max_num_queries(12):
        assert admin_client.get(CHANGELIST).status_code == 200


def test_empty_efetch_helper_is_valid():
    assert efetch_set([]).endswith(b"</PubmedArticleSet>")
