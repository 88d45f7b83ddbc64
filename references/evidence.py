"""The evidence label shown beside each reference, derived from PubMed publication types.

PubMed tags a record with several publication types ("Journal Article", "Meta-Analysis",
"Systematic Review", ...). Readers get one label, chosen by this precedence (first match wins):

1. practice guideline  - "Practice Guideline", "Guideline", "Consensus Development Conference"
                         (and its NIH variant)
2. meta-analysis       - "Meta-Analysis", "Network Meta-Analysis"
3. systematic review   - "Systematic Review"
4. randomised controlled trial - "Randomized Controlled Trial" (and its Veterinary variant)
5. observational study - "Observational Study" (and Veterinary), "Twin Study"
6. review              - "Review", "Scoping Review"
7. case report         - "Case Reports"
8. other               - anything else (including retraction notices, letters, editorials)

Why this order: a guideline is what a recommendation rests on; a meta-analysis is usually
also tagged "Systematic Review" and the pooled estimate is the more specific claim; an RCT that
is also "Observational Study" in a secondary analysis is still labelled by its design; a
narrative review ranks below primary designs because it selects its sources. Retraction is not
an evidence level: it is reported separately (`Citation.retracted`).

No Django import: `EvidenceLabel.choices()` feeds the model field.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class EvidenceLabel(StrEnum):
    """The stored value of an evidence label; `.label` is the human text."""

    PRACTICE_GUIDELINE = "practice_guideline"
    META_ANALYSIS = "meta_analysis"
    SYSTEMATIC_REVIEW = "systematic_review"
    RANDOMISED_CONTROLLED_TRIAL = "rct"
    OBSERVATIONAL_STUDY = "observational"
    REVIEW = "review"
    CASE_REPORT = "case_report"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The label readers and editors see."""
        return _LABELS[self]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs in precedence order, for a Django `choices=`."""
        return [(member.value, member.label) for member in cls]


_LABELS = {
    EvidenceLabel.PRACTICE_GUIDELINE: "Practice guideline",
    EvidenceLabel.META_ANALYSIS: "Meta-analysis",
    EvidenceLabel.SYSTEMATIC_REVIEW: "Systematic review",
    EvidenceLabel.RANDOMISED_CONTROLLED_TRIAL: "Randomised controlled trial",
    EvidenceLabel.OBSERVATIONAL_STUDY: "Observational study",
    EvidenceLabel.REVIEW: "Review",
    EvidenceLabel.CASE_REPORT: "Case report",
    EvidenceLabel.OTHER: "Other",
}

# Precedence order; publication types are compared case-insensitively (PubMed is not always
# consistent: the retraction notice fixture says "RETRACTION OF PUBLICATION").
PRECEDENCE: tuple[tuple[EvidenceLabel, frozenset[str]], ...] = (
    (
        EvidenceLabel.PRACTICE_GUIDELINE,
        frozenset(
            {
                "practice guideline",
                "guideline",
                "consensus development conference",
                "consensus development conference, nih",
            }
        ),
    ),
    (EvidenceLabel.META_ANALYSIS, frozenset({"meta-analysis", "network meta-analysis"})),
    (EvidenceLabel.SYSTEMATIC_REVIEW, frozenset({"systematic review"})),
    (
        EvidenceLabel.RANDOMISED_CONTROLLED_TRIAL,
        frozenset({"randomized controlled trial", "randomized controlled trial, veterinary"}),
    ),
    (
        EvidenceLabel.OBSERVATIONAL_STUDY,
        frozenset({"observational study", "observational study, veterinary", "twin study"}),
    ),
    (EvidenceLabel.REVIEW, frozenset({"review", "scoping review"})),
    (EvidenceLabel.CASE_REPORT, frozenset({"case reports"})),
)


def evidence_label_for(publication_types: Iterable[str]) -> EvidenceLabel:
    """Return the evidence label for a record's publication types (see module docstring)."""
    present = {value.strip().casefold() for value in publication_types}
    for label, names in PRECEDENCE:
        if present & names:
            return label
    return EvidenceLabel.OTHER
