"""Citation markers in CKEditor HTML: normalising pasted URLs, finding and rendering markers."""

from __future__ import annotations

import contextlib
import time

import pytest

from references.markers import (
    InvalidMarkerError,
    find_invalid_markers,
    find_pmids,
    normalise_markers,
    pmid_from_url,
    pmids_from_text,
    render_markers,
)


def test_find_pmids_in_order_of_first_appearance_without_duplicates():
    html = "<p>A [PMID:29870458] b [PMID:23982301] c [PMID:29870458] d [pmid: 28249076]</p>"
    assert find_pmids(html) == ["29870458", "23982301", "28249076"]


def test_markers_in_attributes_are_ignored():
    html = (
        '<p title="[PMID:11111111]">x</p><img alt="a > [PMID:22222222]" src="y.png">'
        "<p>[PMID:33333333]</p><!-- [PMID:44444444] -->"
    )
    assert find_pmids(html) == ["33333333"]


@pytest.mark.parametrize("marker", ["[PMID:0123]", "[PMID:123456789]", "[PMID:12a]", "[PMID:]"])
def test_invalid_markers_are_reported_not_dropped(marker):
    html = f"<p>ok [PMID:29870458] bad {marker}</p>"
    assert find_invalid_markers(html) == [marker]
    with pytest.raises(InvalidMarkerError) as caught:
        find_pmids(html)
    assert caught.value.markers == [marker]
    assert "1 to 8 digits" in str(caught.value)


def test_nbsp_inside_marker_is_accepted():
    assert find_pmids("<p>[PMID:&nbsp;29870458]</p>") == ["29870458"]


def test_render_markers_numbers_and_unique_backlink_ids():
    html = "<p>A [PMID:29870458] b [PMID:23982301][PMID:29870458].</p>"
    rendered = render_markers(html, {"29870458": 1, "23982301": 2})
    assert rendered == (
        '<p>A <sup class="citation-ref"><a href="#ref-1" id="cite-1-1">1</a></sup> b '
        '<sup class="citation-ref"><a href="#ref-2" id="cite-2-1">2</a></sup>'
        '<sup class="citation-ref"><a href="#ref-1" id="cite-1-2">1</a></sup>.</p>'
    )


def test_render_leaves_attributes_and_unknown_markers_alone():
    html = '<p><img alt="[PMID:29870458]"> [PMID:99999999] [PMID:29870458]</p>'
    rendered = render_markers(html, {"29870458": 1})
    assert rendered == (
        '<p><img alt="[PMID:29870458]"> [PMID:99999999] '
        '<sup class="citation-ref"><a href="#ref-1" id="cite-1-1">1</a></sup></p>'
    )


def test_marker_inside_a_link_does_not_nest_links():
    rendered = render_markers('<p><a href="/x">see [PMID:5]</a></p>', {"5": 3})
    assert rendered == '<p><a href="/x">see <sup class="citation-ref" id="cite-3-1">3</sup></a></p>'


def test_markers_cannot_inject_html():
    # Even a hostile numbers mapping can only produce integers in the output.
    html = "<p>[PMID:5]</p>"
    with pytest.raises((TypeError, ValueError)):
        render_markers(html, {"5": '1"><script>alert(1)</script>'})
    # And a marker-lookalike carrying markup never matches.
    evil = "<p>[PMID:5<script>alert(1)</script>]</p>"
    assert render_markers(evil, {"5": 1}) == evil


def test_normalise_pasted_urls_in_text():
    html = (
        "<p>See https://pubmed.ncbi.nlm.nih.gov/29870458/. Also "
        "http://www.ncbi.nlm.nih.gov/pubmed/23982301?dopt=Abstract, and "
        "pubmed.ncbi.nlm.nih.gov/28249076</p>"
    )
    assert normalise_markers(html) == (
        "<p>See [PMID:29870458]. Also [PMID:23982301], and [PMID:28249076]</p>"
    )


def test_normalise_links_whose_text_is_the_url():
    html = (
        '<p>Study <a href="https://pubmed.ncbi.nlm.nih.gov/29870458/">'
        "https://pubmed.ncbi.nlm.nih.gov/29870458/</a> shows</p>"
    )
    assert normalise_markers(html) == "<p>Study [PMID:29870458] shows</p>"


def test_normalise_keeps_links_with_editor_words_and_attributes():
    html = (
        '<p><a href="https://pubmed.ncbi.nlm.nih.gov/29870458/">this guideline</a> '
        '<img alt="https://pubmed.ncbi.nlm.nih.gov/1/" src="x.png"></p>'
    )
    assert normalise_markers(html) == html


def test_normalise_then_find_then_render_round_trip():
    html = "<p>x https://pubmed.ncbi.nlm.nih.gov/5/ y [PMID:6] z https://pubmed.ncbi.nlm.nih.gov/5/</p>"
    normalised = normalise_markers(html)
    pmids = find_pmids(normalised)
    assert pmids == ["5", "6"]
    rendered = render_markers(normalised, {pmid: n for n, pmid in enumerate(pmids, start=1)})
    assert rendered.count('id="cite-1-') == 2
    assert 'id="cite-1-2"' in rendered


@pytest.mark.parametrize(
    ("url", "pmid"),
    [
        ("https://pubmed.ncbi.nlm.nih.gov/29870458/", "29870458"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/29870458", "29870458"),
        ("pubmed.ncbi.nlm.nih.gov/29870458", "29870458"),
        ("https://example.org/29870458", None),
    ],
)
def test_pmid_from_url(url, pmid):
    assert pmid_from_url(url) == pmid


def test_pmids_from_pasted_text():
    text = (
        "29870458, [PMID: 23982301]\nPMID: 28249076; "
        "https://www.ncbi.nlm.nih.gov/pubmed/9500320 0123 hello 29870458"
    )
    assert pmids_from_text(text) == (
        ["29870458", "23982301", "28249076", "9500320"],
        ["0123", "hello"],
    )


@pytest.mark.parametrize(
    "adversarial",
    [
        "[PMID:" + " " * 100_000 + "x",
        "<a" + "b" * 100_000,
        "<!--" * 25_000,
        "[pmid:&nbsp;" * 20_000,
    ],
)
def test_marker_scanning_stays_linear_on_unterminated_input(adversarial):
    # Each took seconds (quadratic backtracking) before the patterns were made possessive.
    started = time.perf_counter()
    with contextlib.suppress(InvalidMarkerError):
        find_pmids(adversarial)
    normalise_markers(adversarial)
    assert time.perf_counter() - started < 1.0
