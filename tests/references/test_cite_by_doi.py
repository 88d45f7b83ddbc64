"""
Citing by DOI (issue 13, part 6): `[DOI:10.x/y]` markers, pasted doi.org links, the work's
metadata from Crossref (a hand-written `/works/{doi}` response, tests/data/crossref, see its
README), the same offline rules as PubMed, and `manage.py import_citations` on a saved work.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from references.crossref import CrossrefClient, parse_work
from references.formatting import format_nlm
from references.markers import (
    InvalidMarkerError,
    Marker,
    find_invalid_markers,
    find_markers,
    find_pmids,
    normalise_markers,
    render_markers,
)
from references.models import Citation
from references.services import (
    OFFLINE,
    DoisNotFound,
    DoisUnavailable,
    citations_ensure_dois,
    citations_refresh,
    in_transaction,
)
from references.transport import TransportResponse
from tests.factories.references import CitationFactory
from tests.references.conftest import FakeClock

DATA = Path(__file__).resolve().parents[1] / "data" / "crossref"
WORK = (DATA / "work-journal-article.json").read_bytes()
DOI = "10.5555/jspr.2017.0412"
# What readers see for the work in tests/data/crossref/work-journal-article.json: six people,
# "et al.", the group author; the subtitle after a colon, the <i> markup gone; the print date
# with its day; the short title without periods, as NLM abbreviations are written.
WORK_NLM = (
    "Smith J, Jones K, Brown L, García-López AM, van der Berg P, Haddad O Jr, et al.; "
    "Synthetic Pain Trials Network. Graded activity for chronic low back pain: a synthetic "
    "multicentre trial. J Synth Pain Res. 2017 Apr 1;12(4):1021-9. doi: 10.5555/jspr.2017.0412."
)


class Recording:
    """A Crossref transport answering from a list; records each call and whether it ran
    inside a database transaction."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, params, timeout):
        self.calls.append({"url": url, "in_transaction": in_transaction()})
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def crossref(*answers):
    clock = FakeClock()
    transport = Recording(*answers)
    client = CrossrefClient(
        mailto="editors@example.org",
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
        max_retries=0,
    )
    return client, transport


def ok(body=WORK):
    return TransportResponse(200, body, {})


# --- Markers ---------------------------------------------------------------------------------


def test_doi_and_ref_markers_are_found_in_text_in_order_of_first_appearance():
    html = (
        "<p>A [PMID:29870458] b [DOI:10.5555/jspr.2017.0412] c [REF:nice-ng59] "
        "d [doi: 10.5555/JSPR.2017.0412] e [PMID:29870458] f [ref:NICE-ng59]</p>"
    )
    assert find_markers(html) == [
        Marker("pmid", "29870458"),
        Marker("doi", "10.5555/jspr.2017.0412"),
        Marker("ref", "nice-ng59"),
    ]
    assert find_pmids(html) == ["29870458"]


@pytest.mark.parametrize(
    "written",
    [
        "[DOI:https://doi.org/10.5555/jspr.2017.0412]",
        "[DOI:doi:10.5555/jspr.2017.0412]",
        "[DOI:&nbsp;10.5555/jspr.2017.0412&nbsp;]",
        "[ DOI : 10.5555/JSPR.2017.0412 ]",
    ],
)
def test_a_doi_marker_may_carry_a_prefix_spaces_or_another_case(written):
    (marker,) = find_markers(f"<p>{written}</p>")
    assert (marker.kind, marker.value.lower(), marker.key) == (
        "doi",
        DOI,
        "doi:10.5555/jspr.2017.0412",
    )


def test_markers_in_attributes_and_comments_are_ignored():
    html = (
        '<p title="[DOI:10.5555/a.1]">x</p><img alt="a > [REF:hidden]" src="y.png">'
        '<a href="https://example.org/[DOI:10.5555/b.2]">link</a><!-- [REF:gone] -->'
        "<p>[DOI:10.5555/c.3] [REF:shown]</p>"
    )
    assert [m.key for m in find_markers(html)] == ["doi:10.5555/c.3", "ref:shown"]
    assert render_markers(html, {"doi:10.5555/a.1": 1, "ref:hidden": 2}) == html


@pytest.mark.parametrize(
    ("marker", "rule"),
    [
        ("[DOI:abc]", "A DOI starts with 10."),
        ("[DOI:10.12/too-short-prefix]", "A DOI starts with 10."),
        ("[DOI:10.5555]", "A DOI starts with 10."),
        ("[DOI:]", "A DOI starts with 10."),
        ("[DOI:https://example.org/10.5555/x]", "A DOI starts with 10."),
        ("[REF:nice ng59]", "A marker name is lower-case letters, digits and hyphens"),
        ("[REF:nice_ng59]", "A marker name is lower-case letters, digits and hyphens"),
        ("[REF:-nice]", "A marker name is lower-case letters, digits and hyphens"),
        ("[REF:]", "A marker name is lower-case letters, digits and hyphens"),
        ("[REF:" + "a" * 51 + "]", "A marker name is lower-case letters, digits and hyphens"),
    ],
)
def test_invalid_doi_and_ref_markers_are_refused_with_the_rule(marker, rule):
    html = f"<p>ok [DOI:10.5555/jspr.2017.0412] [REF:nice-ng59] bad {marker}</p>"
    assert find_invalid_markers(html) == [marker]
    with pytest.raises(InvalidMarkerError) as caught:
        find_markers(html)
    assert caught.value.markers == [marker]
    assert str(caught.value).startswith(f"Invalid citation marker(s): {marker}. {rule}")


def test_the_message_gives_each_kinds_rule_once():
    with pytest.raises(InvalidMarkerError) as caught:
        find_markers("<p>[PMID:0123] [DOI:x] [DOI:y] [PMID:abc]</p>")
    assert str(caught.value) == (
        "Invalid citation marker(s): [PMID:0123], [DOI:x], [DOI:y], [PMID:abc]. A PMID has 1 to "
        "8 digits and does not start with 0. A DOI starts with 10., then its prefix digits, a "
        "slash and the rest, e.g. [DOI:10.1097/AAP.0000000000000808]."
    )


def test_pasted_doi_links_become_markers_with_the_sentence_punctuation_kept():
    html = (
        "<p>See https://doi.org/10.1016/0005-2795(76)90109-4. Also "
        "(http://dx.doi.org/10.5555/jspr.2017.0412), and doi.org/10.5555/%3Cx%3E; "
        '<a href="https://doi.org/10.5555/a.1">https://doi.org/10.5555/a.1</a> '
        '<a href="https://doi.org/10.5555/b.2">the trial</a> '
        '<img alt="https://doi.org/10.5555/c.3" src="x.png"> '
        "[DOI:https://doi.org/10.5555/d.4] https://doi.org/10.5555/e.5&amp;f</p>"
    )
    assert normalise_markers(html) == (
        "<p>See [DOI:10.1016/0005-2795(76)90109-4]. Also "
        "([DOI:10.5555/jspr.2017.0412]), and [DOI:10.5555/&lt;x&gt;]; "
        "[DOI:10.5555/a.1] "
        '<a href="https://doi.org/10.5555/b.2">the trial</a> '
        '<img alt="https://doi.org/10.5555/c.3" src="x.png"> '
        "[DOI:https://doi.org/10.5555/d.4] [DOI:10.5555/e.5&amp;f]</p>"
    )
    assert [m.value for m in find_markers(normalise_markers(html))] == [
        "10.1016/0005-2795(76)90109-4",
        "10.5555/jspr.2017.0412",
        "10.5555/<x>",
        "10.5555/a.1",
        "10.5555/d.4",
        "10.5555/e.5&f",
    ]


def test_render_numbers_every_kind_and_links_each_mention():
    html = "<p>A [DOI:10.5555/X.1] b [REF:nice-ng59] c [doi:10.5555/x.1] d [PMID:5]</p>"
    numbers = {"doi:10.5555/x.1": 1, "ref:nice-ng59": 2, "5": 3}
    assert render_markers(html, numbers) == (
        '<p>A <sup class="citation-ref"><a href="#ref-1" id="cite-1-1">1</a></sup> b '
        '<sup class="citation-ref"><a href="#ref-2" id="cite-2-1">2</a></sup> c '
        '<sup class="citation-ref"><a href="#ref-1" id="cite-1-2">1</a></sup> d '
        '<sup class="citation-ref"><a href="#ref-3" id="cite-3-1">3</a></sup></p>'
    )


@pytest.mark.parametrize(
    "adversarial",
    [
        "[DOI:" * 50_000,
        "[DOI:10.1234/" + "a" * 200_000,
        "[ref:&nbsp;" * 20_000,
        "https://doi.org/10.1234/" + ")" * 100_000,
        "https://doi.org/10.1234/." * 20_000,
        "doi.org/10.1234/x&gt;" * 20_000,
    ],
)
def test_doi_and_ref_scanning_stays_linear(adversarial):
    started = time.perf_counter()
    with contextlib.suppress(InvalidMarkerError):
        find_markers(adversarial)
    normalise_markers(adversarial)
    render_markers(adversarial, {})
    assert time.perf_counter() - started < 1.0


# --- The work's metadata -----------------------------------------------------------------------


def test_crossref_work_metadata_is_read_from_the_works_message():
    work = parse_work(WORK)
    assert work.doi == DOI
    assert work.title == "Graded activity for chronic low back pain: a synthetic multicentre trial"
    assert (work.journal_abbrev, work.journal_title) == (
        "J Synth Pain Res",
        "Journal of Synthetic Pain Research",
    )
    # The print issue's date (with its day), not the earlier online date.
    assert (work.year, work.month, work.day) == (2017, "Apr", 1)
    assert (work.volume, work.issue, work.pages) == ("12", "4", "1021-1029")
    assert work.authors[5].suffix == "Jr"
    assert work.authors[-1].collective_name == "Synthetic Pain Trials Network"
    assert work.notice() is None  # a correction is not a notice


def test_crossref_work_formats_in_nlm_style():
    assert format_nlm(parse_work(WORK)) == WORK_NLM


def test_without_a_print_date_the_issued_date_is_used():
    document = json.loads(WORK)
    del document["message"]["published-print"]
    document["message"]["issued"] = {"date-parts": [[2017, 2]]}
    work = parse_work(document)
    assert (work.year, work.month, work.day) == (2017, "Feb", None)


# --- Storing citations by DOI ------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_an_unknown_doi_is_looked_up_on_crossref_and_stored():
    client, transport = crossref(ok())
    found = citations_ensure_dois(dois=["10.5555/JSPR.2017.0412"], client=client)
    citation = found[DOI]
    assert transport.calls[0]["url"].endswith("/works/10.5555%2FJSPR.2017.0412")
    assert (citation.pmid, citation.doi, citation.source) == (None, DOI, "crossref")
    assert citation.day == 1
    assert not citation.is_manual
    assert citation.format_nlm() == WORK_NLM
    assert citation.snapshot() == {
        "pmid": None,
        "doi": DOI,
        "text": WORK_NLM,
        "html": citation.format_nlm_html(),
        "evidence_label": "Other",
        "evidence_label_code": "other",
        "url": "https://doi.org/10.5555/jspr.2017.0412",
        "pubmed_url": None,
        "doi_url": "https://doi.org/10.5555/jspr.2017.0412",
        "manual": False,
        "retracted": False,
    }
    assert str(citation) == f"DOI {DOI}: {citation.title}"


@pytestmark_db
def test_a_known_doi_is_read_without_network_in_any_case_pubmed_record_first():
    pubmed = CitationFactory(pmid="29870458", doi="10.1097/AAP.0000000000000808")
    client, transport = crossref()
    found = citations_ensure_dois(dois=["10.1097/aap.0000000000000808"], client=client)
    assert found == {"10.1097/aap.0000000000000808": pubmed}
    assert transport.calls == []


@pytestmark_db
def test_crossref_unreachable_stores_nothing_and_names_the_dois():
    client, _ = crossref(ok(), OSError("Network is unreachable"))
    with pytest.raises(DoisUnavailable, match="Crossref could not be reached to look up DOI"):
        citations_ensure_dois(dois=[DOI, "10.5555/other.1"], client=client)
    assert not Citation.objects.exists()


@pytestmark_db
def test_a_doi_crossref_does_not_know_is_the_editors_error():
    client, _ = crossref(TransportResponse(404, b"Resource not found.", {}))
    with pytest.raises(DoisNotFound) as caught:
        citations_ensure_dois(dois=["10.5555/nowhere.1"], client=client)
    assert caught.value.messages == [
        "Crossref has no record of DOI 10.5555/nowhere.1. Check the DOI, or add the source "
        "under Citations (as a web page or a manual entry) and cite it with [REF:name]."
    ]
    assert not Citation.objects.exists()


@pytestmark_db
def test_a_malformed_doi_is_refused_before_any_lookup():
    client, transport = crossref()
    with pytest.raises(ValidationError, match="Not a valid DOI: 10.5/x"):
        citations_ensure_dois(dois=["10.5/x"], client=client)
    assert transport.calls == []


@pytestmark_db
def test_the_crossref_lookup_never_runs_inside_a_transaction():
    client, transport = crossref(ok())
    with (
        transaction.atomic(),
        pytest.raises(RuntimeError, match="Crossref was about to be asked for DOI .* inside a"),
    ):
        citations_ensure_dois(dois=[DOI], client=client)
    assert transport.calls == []
    # Outside, the same lookup is made, and not from inside the write that stores it.
    citations_ensure_dois(dois=[DOI], client=client)
    assert transport.calls == [{"url": transport.calls[0]["url"], "in_transaction": False}]


@pytestmark_db
def test_offline_resolves_stored_dois_and_refuses_unknown_ones_as_unavailable():
    client, _ = crossref(ok())
    citations_ensure_dois(dois=[DOI], client=client)
    with transaction.atomic():
        assert list(citations_ensure_dois(dois=[DOI.upper()], client=OFFLINE)) == [DOI]
        with pytest.raises(DoisUnavailable, match="not fetched before the save began"):
            citations_ensure_dois(dois=["10.5555/new.1"], client=OFFLINE)


@pytestmark_db
def test_a_retraction_crossref_reports_later_is_recorded_by_the_refresh():
    client, _ = crossref(ok())
    citation = citations_ensure_dois(dois=[DOI], client=client)[DOI]
    retracted = copy.deepcopy(json.loads(WORK))
    retracted["message"]["updated-by"].append(
        {
            "updated": {"date-parts": [[2019, 5, 2]]},
            "DOI": "10.5555/jspr.2019.retraction",
            "type": "retraction",
            "source": "publisher",
            "label": "Retraction",
        }
    )
    refresh, transport = crossref(ok(json.dumps(retracted).encode()))
    result = citations_refresh(client=OFFLINE, now=timezone.now(), crossref=refresh)
    citation.refresh_from_db()
    assert (citation.retracted, citation.retraction_source, citation.retraction_date) == (
        True,
        "crossref",
        "2019-05-02",
    )
    assert result.newly_retracted == [citation]
    assert [call["in_transaction"] for call in transport.calls] == [False]


# --- Importing a saved work --------------------------------------------------------------------


@pytestmark_db
def test_import_citations_accepts_a_saved_crossref_work(tmp_path):
    path = tmp_path / "work.json"
    path.write_bytes(WORK)
    out = io.StringIO()
    call_command("import_citations", "--file", str(path), stdout=out)
    assert "Imported 1 Crossref work(s) from work.json: 1 new, 0 updated, 0 unchanged." in (
        out.getvalue()
    )
    citation = Citation.objects.get()
    assert (citation.doi, citation.source, citation.format_nlm()) == (DOI, "crossref", WORK_NLM)


@pytestmark_db
def test_a_crossref_file_that_is_not_a_work_imports_nothing(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(
        json.dumps({"status": "ok", "message-type": "work-list", "message": {"items": []}})
    )
    with pytest.raises(CommandError, match="holds no work. Nothing was imported."):
        call_command("import_citations", "--file", str(path))
    assert not Citation.objects.exists()
