"""Reading time of a revision: words in its snapshot at 200 words a minute, rounded up."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from typing import Any

WORDS_PER_MINUTE = 200
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# Citation marks ([PMID:n], [DOI:...], [REF:name]) and figures ([FIGURE:n]) are not words.
_MARKER = re.compile(r"\[\s*(?:PMID|DOI|REF|FIGURE)\s*:[^\]]{0,300}\]", re.IGNORECASE)


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML fragment, citation and figure markers removed."""
    parser = _TextOnly()
    parser.feed(html or "")
    parser.close()
    # Citation markers are read as superscript numbers, figure markers as figures: not words.
    return _MARKER.sub(" ", " ".join(parser.parts))


def snapshot_words(snapshot: dict[str, Any]) -> int:
    """The number of words a reader reads in the snapshot (reference list excluded)."""
    texts = [
        snapshot.get("title", ""),
        snapshot.get("standfirst", ""),
        html_text(snapshot.get("body", "")),
    ]
    texts += list(snapshot.get("takeaways", []))
    for entry in snapshot.get("faq", []):
        texts += [entry.get("question", ""), html_text(entry.get("answer", ""))]
    for item in snapshot.get("comparisons", []):
        texts += [item.get("term", ""), item.get("explanation", "")]
    return sum(len(_WORD.findall(text or "")) for text in texts)


def reading_minutes(snapshot: dict[str, Any]) -> int:
    """Whole minutes to read the snapshot at `WORDS_PER_MINUTE`, at least 1."""
    return max(1, math.ceil(snapshot_words(snapshot) / WORDS_PER_MINUTE))
