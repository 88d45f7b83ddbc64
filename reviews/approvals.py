"""
How many physicians must approve a page, and of which specialty: the approval policy.

A topic may ask for more than one approval (two physicians, say) and for one of them to come
from a given specialty. A page's policy is the strictest of its topics' (`combine`). A page goes
live only when its approvals in standing meet it (`ApprovalPolicy.unmet`), and its review
request stays open until they do. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

WORDS = {1: "one", 2: "two", 3: "three"}


@dataclass(frozen=True)
class ApprovalPolicy:
    """Approvals by ``approvals`` different physicians, one of each of ``specialties``."""

    approvals: int = 1
    specialties: tuple[str, ...] = ()

    @classmethod
    def combine(cls, policies: Iterable[ApprovalPolicy]) -> ApprovalPolicy:
        """The strictest of several policies: the most approvals, every specialty asked for."""
        approvals, specialties = 1, {}
        for policy in policies:
            approvals = max(approvals, policy.approvals)
            for specialty in policy.specialties:
                specialties.setdefault(specialty.casefold(), specialty)
        return cls(approvals=approvals, specialties=tuple(sorted(specialties.values())))

    @property
    def needed(self) -> int:
        """How many different physicians must approve (each specialty needs its own)."""
        return max(self.approvals, len(self.specialties), 1)

    def describe(self) -> str:
        """The policy as an editor reads it: "Two physicians must approve, one in Cardiology"."""
        count = WORDS.get(self.needed, str(self.needed))
        text = (
            "One physician must approve"
            if self.needed == 1
            else f"{count.capitalize()} physicians must approve"
        )
        if self.specialties:
            text += ", including one in " + " and one in ".join(self.specialties)
        return text + "."

    def unmet(self, approvals: Iterable[tuple[int, str]]) -> str | None:
        """
        What is still missing, given the approvals in standing as ``(physician id, specialty)``
        pairs; None when the policy is met. A physician counts once, however often they approved.
        """
        by_physician = dict(approvals)
        held = {specialty.strip().casefold() for specialty in by_physician.values()}
        missing = [s for s in self.specialties if s.strip().casefold() not in held]
        short = self.needed - len(by_physician)
        if short <= 0 and not missing:
            return None
        parts = []
        if missing:
            parts.append("an approval by a physician in " + " and one in ".join(missing))
        if (extra := short - len(missing)) > 0:
            noun = "approval" if extra == 1 else "approvals"
            parts.append(f"{WORDS.get(extra, str(extra))} more {noun} by another physician")
        return f"{self.describe()} Still needed: {' and '.join(parts)}."
