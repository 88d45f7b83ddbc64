"""Parsers for PubMed responses and exports. No Django here.

- `parse_efetch_xml` / `iter_efetch_xml`: EFetch XML (`PubmedArticleSet` or a bare article)
- `parse_esummary_json`: ESummary JSON (per-id errors reported, not raised)
- `parse_medline`: the MEDLINE / .nbib text export
- `parse_any`: sniff one of the three formats (used by `manage.py import_citations --file`)
"""

from __future__ import annotations

from references.parsers.common import BOMS
from references.parsers.efetch import iter_efetch_xml, parse_efetch_xml
from references.parsers.esummary import ESummaryResult, parse_esummary_json
from references.parsers.medline import parse_medline
from references.records import PubmedRecord, PubMedResponseError

__all__ = [
    "ESummaryResult",
    "iter_efetch_xml",
    "parse_any",
    "parse_efetch_xml",
    "parse_esummary_json",
    "parse_medline",
]


def parse_any(data: bytes) -> list[PubmedRecord]:
    """Parse EFetch XML, ESummary JSON or MEDLINE text, chosen from the first bytes.

    A byte-order mark (UTF-8 or UTF-16) is allowed before any of the three. ESummary per-id
    errors are raised here, because an import file naming a record it does not contain is a
    broken file; so is a file that holds no record at all.
    """
    head = _head(data)
    if head.startswith("<"):
        records = parse_efetch_xml(data)
    elif head.startswith("{"):
        result = parse_esummary_json(data)
        if result.errors:
            detail = "; ".join(f"{uid}: {message}" for uid, message in result.errors.items())
            raise PubMedResponseError(f"The ESummary file reports errors: {detail}")
        records = list(result.records)
    elif head.startswith("PMID-"):
        return parse_medline(data)  # raises itself when it finds no record
    else:
        raise PubMedResponseError(
            "Unrecognised file: expected PubMed XML (EFetch), ESummary JSON or MEDLINE text."
        )
    if not records:
        raise PubMedResponseError("The file holds no PubMed record.")
    return records


def _head(data: bytes) -> str:
    """The start of the file as text, without byte-order mark or leading white space."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            # "ignore": the 256 bytes may end inside a character.
            return data[len(bom) : len(bom) + 256].decode(encoding, "ignore").lstrip()
    return data[:256].decode("utf-8", "ignore").lstrip()
