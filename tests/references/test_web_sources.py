"""
Web sources (issue 13, part 6): a manual entry of kind "web page" (a guideline's page, a drug
label), added in the admin, formatted as Citing Medicine's chapter 22 asks, cited in a body as
`[REF:name]`; snapshots of the citations that existed before keep their exact shape.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from references.formatting import format_nlm, format_nlm_html
from references.models import Citation
from references.services import UnknownMarkerNames, citations_for_marker_names
from tests.factories.references import CitationFactory, ManualCitationFactory

pytestmark = pytest.mark.django_db

NICE = (
    "National Institute for Health and Care Excellence. Low back pain and sciatica in over 16s: "
    "assessment and management [Internet]. London: NICE; 2016 Nov 30 [updated 2020 Dec 11; "
    "cited 2026 May 31]. Available from: https://www.nice.org.uk/guidance/ng59"
)


def nice(**changes) -> Citation:
    values = {
        "kind": Citation.Kind.WEB,
        "source": Citation.Source.MANUAL,
        "title": "Low back pain and sciatica in over 16s: assessment and management",
        "authors": [{"collective_name": "National Institute for Health and Care Excellence"}],
        "publisher": "NICE",
        "place": "London",
        "year": 2016,
        "month": "Nov",
        "day": 30,
        "updated_on": date(2020, 12, 11),
        "accessed_on": date(2026, 5, 31),
        "url": "https://www.nice.org.uk/guidance/ng59",
        "cite_key": "nice-ng59",
        "evidence_label": "practice_guideline",
    }
    values.update(changes)
    return Citation(**values)


def test_a_web_page_in_nlm_style():
    assert format_nlm(nice()) == NICE


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (  # no place of publication, no update
            {"place": "", "updated_on": None},
            "National Institute for Health and Care Excellence. Low back pain and sciatica in "
            "over 16s: assessment and management [Internet]. NICE; 2016 Nov 30 [cited 2026 May "
            "31]. Available from: https://www.nice.org.uk/guidance/ng59",
        ),
        (  # only a year of publication; a regulator's label, its title a question
            {
                "authors": [],
                "title": "Is this medicine right for you?",
                "publisher": "U.S. Food and Drug Administration",
                "place": "Silver Spring (MD)",
                "month": "",
                "day": None,
                "year": 2023,
                "url": "https://www.fda.gov/drugs/example",
            },
            "Is this medicine right for you? [Internet]. Silver Spring (MD): U.S. Food and Drug "
            "Administration; 2023 [updated 2020 Dec 11; cited 2026 May 31]. Available from: "
            "https://www.fda.gov/drugs/example",
        ),
        (  # no date of publication: the update and the check say when
            {"year": None, "month": "", "day": None, "title": "Sciatica."},
            "National Institute for Health and Care Excellence. Sciatica [Internet]. London: "
            "NICE [updated 2020 Dec 11; cited 2026 May 31]. Available from: "
            "https://www.nice.org.uk/guidance/ng59",
        ),
    ],
)
def test_web_page_variants(changes, expected):
    assert format_nlm(nice(**changes)) == expected


def test_the_html_links_the_address_and_escapes_everything():
    citation = nice(title="<b>Pain</b> & you", url="https://example.org/?a=1&b=<2>")
    html = format_nlm_html(citation)
    assert "&lt;b&gt;Pain&lt;/b&gt; &amp; you [Internet]." in html
    assert html.endswith(
        'Available from: <a class="citation-url" href="https://example.org/?a=1&amp;b=&lt;2&gt;">'
        "https://example.org/?a=1&amp;b=&lt;2&gt;</a>"
    )


def test_a_saved_web_page_snapshots_what_readers_see_with_its_kind_and_marker_name():
    citation = nice()
    citation.full_clean()
    citation.save()
    assert citation.snapshot() == {
        "pmid": None,
        "doi": None,
        "text": NICE,
        "html": format_nlm_html(citation),
        "evidence_label": "Practice guideline",
        "evidence_label_code": "practice_guideline",
        "url": "https://www.nice.org.uk/guidance/ng59",
        "pubmed_url": None,
        "doi_url": None,
        "manual": True,
        "retracted": False,
        "kind": "web",
        "ref": "nice-ng59",
    }
    assert str(citation) == (
        "Low back pain and sciatica in over 16s: assessment and management (web page)"
    )


def test_citations_that_existed_before_snapshot_exactly_as_they_did():
    """The keys of a PubMed citation and of a manual entry are the ones signed revisions hold,
    so a new revision of unchanged content has the same hash as before."""
    old_keys = {
        "pmid",
        "doi",
        "text",
        "html",
        "evidence_label",
        "evidence_label_code",
        "url",
        "pubmed_url",
        "doi_url",
        "manual",
        "retracted",
    }
    pubmed = CitationFactory(pmid="29870458", day=None)
    manual = ManualCitationFactory()
    assert set(pubmed.snapshot()) == old_keys
    assert set(manual.snapshot()) == old_keys
    assert manual.snapshot()["text"] == (
        f"National Example Institute. {manual.title}. National Example Institute. 2020. "
        f"Available from: {manual.url}"
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": ""}, "url", "A web page needs the address where it is published."),
        (
            {"url": "ftp://files.example.org/g.pdf"},
            "url",
            "A web page's address starts with https:// or http://.",
        ),
        ({"publisher": " "}, "publisher", "Name the organisation that publishes the page."),
        ({"accessed_on": None}, "accessed_on", "Give the date you last checked the page."),
        (
            {"month": "Brumaire"},
            "month",
            "Use the month's three-letter English abbreviation: Jan, Feb, ... Dec.",
        ),
        ({"month": "", "day": 3}, "day", "A day needs its month."),
        ({"year": None}, "year", "A month or a day needs its year."),
        (
            {"pmid": "29870458"},
            "pmid",
            "A web page has no PMID: cite PubMed records by their PMID.",
        ),
        (
            {"cite_key": "NICE NG59"},
            "cite_key",
            "Use lower-case letters, digits and single hyphens, e.g. nice-ng59.",
        ),
    ],
)
def test_a_web_page_missing_what_nlm_needs_is_refused_on_its_field(changes, field, message):
    with pytest.raises(ValidationError) as caught:
        nice(**changes).full_clean()
    assert message in caught.value.message_dict[field]


def test_an_editors_month_is_written_the_nlm_way():
    citation = nice(month="11")
    citation.full_clean()
    assert citation.month == "Nov"


def test_a_marker_name_is_unique():
    nice().save()
    with pytest.raises(ValidationError, match="Another source already has this marker name."):
        nice(url="https://www.nice.org.uk/guidance/ng59/other").full_clean()


def test_marker_names_resolve_to_their_citations_and_unknown_ones_are_named():
    citation = nice()
    citation.save()
    assert citations_for_marker_names(["NICE-ng59"]) == {"nice-ng59": citation}
    with pytest.raises(UnknownMarkerNames) as caught:
        citations_for_marker_names(["nice-ng59", "who-pain", "cdc-opioids"])
    assert caught.value.messages == [
        "No source has the marker name who-pain, cdc-opioids. Give the name to the source "
        "under Citations (field “marker name”), or correct the marker."
    ]


# --- The admin -------------------------------------------------------------------------------


def web_page_form(**changes):
    data = {
        "kind": "web",
        "url": "https://www.nice.org.uk/guidance/ng59",
        "title": "Low back pain and sciatica in over 16s: assessment and management",
        "author_organisation": "National Institute for Health and Care Excellence",
        "authors": "[]",
        "journal_title": "",
        "year": "2016",
        "month": "Nov",
        "day": "30",
        "doi": "",
        "publisher": "NICE",
        "place": "London",
        "updated_on": "2020-12-11",
        "accessed_on": "2026-05-31",
        "cite_key": "nice-ng59",
        "evidence_label": "practice_guideline",
    }
    data.update(changes)
    return data


def test_an_editor_adds_a_web_page_in_the_admin(admin_client):
    response = admin_client.post(reverse("admin:references_citation_add"), web_page_form())
    assert response.status_code == 302, response.content
    citation = Citation.objects.get()
    assert (citation.kind, citation.source, citation.pmid) == ("web", "manual", None)
    assert citation.format_nlm() == NICE
    change = admin_client.get(reverse("admin:references_citation_change", args=[citation.pk]))
    assert "[Internet]. London: NICE; 2016 Nov 30" in change.content.decode()
    listing = admin_client.get(reverse("admin:references_citation_changelist")).content.decode()
    assert "[REF:nice-ng59]" in listing


def test_a_web_page_without_its_checked_date_is_refused_and_nothing_stored(admin_client):
    response = admin_client.post(
        reverse("admin:references_citation_add"), web_page_form(accessed_on="")
    )
    assert response.status_code == 200
    assert "Give the date you last checked the page." in response.content.decode()
    assert not Citation.objects.exists()
