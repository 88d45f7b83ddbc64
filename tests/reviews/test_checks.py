"""Content checks on a revision snapshot: pure functions, no database."""

import pytest

from reviews.checks import (
    BLOCKING,
    WARNING,
    blocking_findings,
    check_claims,
    check_readability,
    check_snapshot,
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


def test_an_uncited_percentage_is_flagged_with_its_sentence():
    findings = check_claims(snapshot("<p>Back pain is common. About 40% of adults get it.</p>"))
    assert codes(findings) == ["uncited_statistic"]
    assert findings[0].severity == WARNING
    assert '"40%"' in findings[0].message
    assert findings[0].sentence == "About 40% of adults get it."
    assert findings[0].where == "body"


def test_a_mark_in_the_same_sentence_cites_the_claim():
    body = "<p>About 40% of adults get back pain [PMID:29870458]. Rest rarely helps.</p>"
    assert check_claims(snapshot(body)) == []


def test_a_mark_in_the_next_sentence_cites_the_claim_before_it():
    body = "<p>Two in three people recover within a month. A trial showed this [PMID:1].</p>"
    assert check_claims(snapshot(body)) == []


def test_one_mark_after_two_claims_cites_both_but_not_a_third_before_them():
    two = "<p>Two in three people recover. Half of all patients relapse [PMID:1].</p>"
    assert check_claims(snapshot(two)) == []
    three = (
        "<p>Two in three people recover. Millions of people live with it. "
        "Half of all patients relapse [PMID:1].</p>"
    )
    findings = check_claims(snapshot(three))
    assert codes(findings) == ["uncited_statistic"]
    assert findings[0].sentence == "Two in three people recover."


def test_a_marker_in_the_next_paragraph_does_not_cite_this_one():
    body = "<p>About 40% of adults get back pain.</p><p>Rest helps [PMID:29870458].</p>"
    assert codes(check_claims(snapshot(body))) == ["uncited_statistic"]


def test_a_marker_in_one_list_item_does_not_cite_its_sibling():
    body = "<ul><li>1 in 5 people [PMID:29870458]</li><li>3 out of 10 recover</li></ul>"
    findings = check_claims(snapshot(body))
    assert codes(findings) == ["uncited_statistic"]
    assert "3 out of 10" in findings[0].message


@pytest.mark.parametrize(
    "text",
    ["12.5 percent of", "two in three adults", "half of all patients", "three times more likely",
     "millions of people", "a 2-fold rise", "one-third of adults"],
)
def test_statistics_in_digits_words_and_fractions_are_flagged(text):
    assert codes(check_claims(snapshot(f"<p>Studies aside, {text} here.</p>"))) == [
        "uncited_statistic"
    ]


def test_numbers_in_attributes_are_not_read_as_text():
    body = '<p><img src="x.png" width="100%" alt="">No statistics here.</p>'
    assert check_claims(snapshot(body)) == []


def test_faq_answers_are_checked_too():
    faq = [{"question": "How common?", "answer": "<p>Around 80% of people.</p>"}]
    findings = check_claims(snapshot("<p>Intro.</p>", faq=faq))
    assert [f.where for f in findings] == ["FAQ answer"]
    assert "FAQ answer" in findings[0].message


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        ("This treatment is completely harmless.", "uncited_absolute_claim"),
        ("Experts agree that it works.", "unnamed_evidence"),
        ("A game-changing clinic.", "promotional_wording"),
        ("It is given at 0.5 mg/kg over 40 minutes.", "dosing"),
    ],
)
def test_each_kind_of_claim_has_its_code_and_a_message_for_the_physician(sentence, code):
    (finding,) = check_claims(snapshot(f"<p>{sentence}</p>"))
    assert finding.code == code and finding.sentence == sentence
    assert finding.severity == WARNING


def test_a_dose_is_flagged_even_when_cited_and_says_so_when_not():
    (cited,) = check_claims(snapshot("<p>The dose is 0.5 mg/kg [PMID:1].</p>"))
    assert cited.code == "dosing" and "Check the dose against the cited source" in cited.message
    assert "cites no source" not in cited.message
    (uncited,) = check_claims(snapshot("<p>The dose is 0.5 mg/kg.</p>"))
    assert "cites no source" in uncited.message


@pytest.mark.parametrize(
    "sentence",
    [
        "This is not a cure.",
        "No treatment can promise that your pain will go away for good.",
        "Be wary of clinics that promise guaranteed results.",
        'Slogans like "Cure your pain for good" are a warning sign.',
        "There is no good evidence that magnets help.",
        "Ketamine may give some people lasting relief.",
        "Is ketamine a cure for back pain?",
    ],
)
def test_negated_cautionary_hedged_quoted_and_questions_are_not_hype(sentence):
    assert check_claims(snapshot(f"<p>{sentence}</p>")) == []


def test_claims_are_found_in_the_title_takeaways_and_faq_questions():
    snap = snapshot(
        "<p>Plain.</p>",
        title="A miracle for back pain",
        takeaways=["Relief is guaranteed."],
        faq=[{"question": "The best treatment of all, guaranteed.", "answer": "<p>No.</p>"}],
    )
    assert {f.where for f in check_claims(snap)} == {"title", "key takeaway", "FAQ question"}


def test_a_page_above_the_reading_grade_gets_a_warning(settings):
    hard = (
        "<p>Multimodal interdisciplinary rehabilitation incorporating pharmacological "
        "optimisation demonstrates considerable heterogeneity regarding longitudinal functional "
        "outcomes among individuals experiencing persistent musculoskeletal symptomatology.</p>"
    ) * 3
    easy = "<p>Pain that lasts a long time is called chronic pain. It is common. Help is near.</p>"
    easy *= 4
    settings.REVIEW_READABILITY_MAX_GRADE = 8
    (finding,) = check_readability(snapshot(hard))
    assert finding.code == "readability" and "grade 8 or below" in finding.message
    assert check_readability(snapshot(easy)) == []
    settings.REVIEW_READABILITY_MAX_GRADE = 40
    assert check_readability(snapshot(hard)) == []


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
