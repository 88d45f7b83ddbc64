"""Every kind of marker (PMID, DOI, web source, figure) is read the same by the checks, the
reading time and search text, and the review diff."""

from articles.content.admin.diff import visible_lines
from articles.publishing.reading_time import html_text
from reviews.checks import check_claims


def test_a_statistic_cited_by_doi_or_web_source_is_not_flagged_as_uncited():
    for mark in ("[DOI:10.1097/AAP.0000000000000808]", "[REF:nice-ng59]"):
        body = f"<p>About 20% of adults live with chronic pain {mark}.</p>"
        codes = {finding.code for finding in check_claims({"body": body})}
        assert "uncited_statistic" not in codes, mark
    uncited = {f.code for f in check_claims({"body": "<p>About 20% of adults have it.</p>"})}
    assert "uncited_statistic" in uncited


def test_markers_are_not_words_in_reading_time_or_search_text():
    html = "<p>Pain [PMID:1] eases [DOI:10.1/x] with time [REF:nice-ng59].</p><p>[FIGURE:12]</p>"
    assert html_text(html).split() == ["Pain", "eases", "with", "time", "."]


def test_the_diff_names_each_reference_by_its_source():
    snapshot = {
        "citations": [
            {"pmid": "29870458", "text": "Cohen SP."},
            {"pmid": None, "doi": "10.1/x", "text": "Doe J."},
            {
                "pmid": None,
                "doi": None,
                "url": "https://www.nice.org.uk/guidance/ng59",
                "text": "NICE.",
            },
        ]
    }
    lines = visible_lines(snapshot)
    assert "Reference 1: Cohen SP. (PMID 29870458)" in lines
    assert "Reference 2: Doe J. (DOI 10.1/x)" in lines
    assert "Reference 3: NICE. (web page https://www.nice.org.uk/guidance/ng59)" in lines
