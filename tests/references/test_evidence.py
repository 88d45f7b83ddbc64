"""Evidence labels derived from PubMed publication types, with the documented precedence."""

from __future__ import annotations

import pytest

from references.evidence import EvidenceLabel, evidence_label_for
from references.parsers import parse_efetch_xml
from tests.references.conftest import DEMO_XML, read


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["Journal Article", "Practice Guideline"], EvidenceLabel.PRACTICE_GUIDELINE),
        (["Guideline", "Meta-Analysis"], EvidenceLabel.PRACTICE_GUIDELINE),
        (["Systematic Review", "Meta-Analysis"], EvidenceLabel.META_ANALYSIS),
        (["Review", "Systematic Review"], EvidenceLabel.SYSTEMATIC_REVIEW),
        (["Randomized Controlled Trial", "Review"], EvidenceLabel.RANDOMISED_CONTROLLED_TRIAL),
        (["Observational Study", "Case Reports"], EvidenceLabel.OBSERVATIONAL_STUDY),
        (["Journal Article", "Review"], EvidenceLabel.REVIEW),
        (["Case Reports"], EvidenceLabel.CASE_REPORT),
        (["Journal Article", "Comparative Study"], EvidenceLabel.OTHER),
        (["RETRACTION OF PUBLICATION"], EvidenceLabel.OTHER),
        (["  meta-analysis "], EvidenceLabel.META_ANALYSIS),  # case and spaces ignored
        ([], EvidenceLabel.OTHER),
    ],
)
def test_precedence(types, expected):
    assert evidence_label_for(types) is expected


def test_labels_on_real_records():
    (structured,) = parse_efetch_xml(read("efetch-pubmed-structured-abstract-27797938.xml"))
    assert evidence_label_for(structured.publication_types) is EvidenceLabel.OBSERVATIONAL_STUDY
    review = parse_efetch_xml(read("efetch-pubmed-12091962-9997.xml"))[0]
    assert evidence_label_for(review.publication_types) is EvidenceLabel.REVIEW
    demo = {r.pmid: evidence_label_for(r.publication_types) for r in parse_efetch_xml(DEMO_XML)}
    assert demo == {
        "29870458": EvidenceLabel.PRACTICE_GUIDELINE,
        "28249076": EvidenceLabel.REVIEW,
        "23982301": EvidenceLabel.RANDOMISED_CONTROLLED_TRIAL,
    }


def test_choices_are_in_precedence_order_with_human_labels():
    choices = EvidenceLabel.choices()
    assert choices[0] == ("practice_guideline", "Practice guideline")
    assert choices[3] == ("rct", "Randomised controlled trial")
    assert choices[-1] == ("other", "Other")
    assert len(choices) == 8
    assert EvidenceLabel("meta_analysis").label == "Meta-analysis"
