"""Content checks on a revision snapshot: pure functions, no database."""

import pytest

from reviews.checks import (
    BLOCKING,
    WARNING,
    blocking_findings,
    check_hype_words,
    check_snapshot,
    check_uncited_statistics,
    html_paragraphs,
)

CITATION = {
    "pmid": "29870458",
    "doi": "",
    "text": "Roe J. Pain. BMJ. 2018.",
    "evidence_label": "",
    "url": "https://pubmed.ncbi.nlm.nih.gov/29870458/",
    "manual": False,
}


def snapshot(body="", **extra):
    return {
        "title": "Back pain",
        "standfirst": "What helps.",
        "body": body,
        "takeaways": [],
        "faq": [],
        "comparisons": [],
        "citations": [CITATION],
        **extra,
    }


def codes(findings):
    return [f.code for f in findings]


def test_paragraphs_and_list_items_are_read_separately():
    html = "<p>One <b>bold</b>\n text.</p><ul><li>Item <i>a</i></li><li><p>Item b</p></li></ul>"
    assert html_paragraphs(html) == ["One bold text.", "Item a", "Item b"]


def test_uncited_percentage_is_flagged_with_its_context():
    findings = check_uncited_statistics(snapshot("<p>About 40% of adults get back pain.</p>"))
    assert codes(findings) == ["uncited_statistic"]
    assert findings[0].severity == WARNING
    assert '"40%"' in findings[0].message
    assert "About 40% of adults" in findings[0].excerpt


def test_percentage_cited_in_the_same_paragraph_is_not_flagged():
    body = "<p>About 40% of adults get back pain [PMID:29870458].</p>"
    assert check_uncited_statistics(snapshot(body)) == []


def test_a_marker_in_the_next_paragraph_does_not_cite_this_one():
    body = "<p>About 40% of adults get back pain.</p><p>Rest helps [PMID:29870458].</p>"
    assert codes(check_uncited_statistics(snapshot(body))) == ["uncited_statistic"]


def test_a_marker_in_one_list_item_does_not_cite_its_sibling():
    body = "<ul><li>1 in 5 people [PMID:29870458]</li><li>3 out of 10 recover</li></ul>"
    findings = check_uncited_statistics(snapshot(body))
    assert codes(findings) == ["uncited_statistic"]
    assert "3 out of 10" in findings[0].message


@pytest.mark.parametrize(
    "text", ["12.5 percent", "3 per cent", "1 in 5 adults", "a 2-fold rise", "three times more"]
)
def test_other_statistic_forms_are_flagged(text):
    assert codes(check_uncited_statistics(snapshot(f"<p>Studies show {text}.</p>")))


def test_numbers_in_attributes_are_not_read_as_text():
    body = '<p><img src="x.png" width="100%" alt="">No statistics here.</p>'
    assert check_uncited_statistics(snapshot(body)) == []


def test_faq_answers_need_citations_too():
    faq = [{"question": "How common?", "answer": "<p>Around 80% of people.</p>"}]
    findings = check_uncited_statistics(snapshot("<p>Intro.</p>", faq=faq))
    assert "FAQ answer" in findings[0].message


@pytest.mark.parametrize(
    "phrase",
    [
        "cure",
        "Miracle",
        "GUARANTEED",
        "100%",
        "no side effects",
        "completely  safe",
        "without risk",
        "breakthrough",
        "instant relief",
    ],
)
def test_hype_words_are_reported_with_phrase_and_context(phrase):
    findings = check_hype_words(snapshot(f"<p>This pill is a {phrase} for pain.</p>"))
    shown = " ".join(phrase.split())  # paragraphs are whitespace-collapsed
    assert codes(findings) == ["hype_word"]
    assert f'"{shown}"' in findings[0].message
    assert f"a {shown} for pain" in findings[0].excerpt


@pytest.mark.parametrize("text", ["a secure setting", "curettage", "the procured drug", "1100%"])
def test_hype_words_match_whole_words_only(text):
    assert check_hype_words(snapshot(f"<p>{text}</p>")) == []


def test_hype_words_are_found_in_the_title_takeaways_and_faq():
    snap = snapshot(
        "<p>Plain.</p>",
        title="A miracle",
        takeaways=["Guaranteed results"],
        faq=[{"question": "Is there a cure?", "answer": "<p>No.</p>"}],
    )
    messages = " ".join(f.message for f in check_hype_words(snap))
    assert "title" in messages and "key takeaway" in messages and "FAQ question" in messages


def test_no_references_is_a_warning():
    findings = check_snapshot(snapshot("<p>Plain.</p>", citations=[]))
    assert codes(findings) == ["no_references"]
    assert findings[0].severity == WARNING
    assert blocking_findings(findings) == []


def test_a_retracted_citation_blocks_approval():
    findings = check_snapshot(
        snapshot("<p>Plain [PMID:29870458].</p>"), retracted_pmids={"29870458"}
    )
    assert codes(findings) == ["retracted_citation"]
    assert findings[0].severity == BLOCKING
    assert "29870458" in findings[0].message
    assert findings[0].excerpt == CITATION["text"]
    assert blocking_findings(findings) == findings


def test_a_retracted_pmid_only_in_a_marker_still_blocks():
    snap = snapshot("<p>Claim [PMID:10066780].</p>")
    assert codes(check_snapshot(snap, retracted_pmids={"10066780"})) == ["retracted_citation"]


def test_unrelated_retractions_do_not_block():
    assert check_snapshot(snapshot("<p>Plain.</p>"), retracted_pmids={"1"}) == []


def test_clean_snapshot_has_no_findings():
    body = "<p>About 40% of adults get back pain [PMID:29870458].</p><p>Most recover.</p>"
    assert check_snapshot(snapshot(body)) == []
