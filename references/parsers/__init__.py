"""Parsers for PubMed responses and exports. No Django here.

- `parse_efetch_xml` / `iter_efetch_xml`: EFetch XML (`PubmedArticleSet` or a bare article)
- `parse_esummary_json`: ESummary JSON (per-id errors reported, not raised)
- `parse_medline`: the MEDLINE / .nbib text export
- `parse_any`: sniff one of the three formats (used by `manage.py import_citations --file`)
"""

from __future__ import annotations

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

    ESummary per-id errors are raised here, because an import file naming a record it does not
    contain is a broken file.
    """
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:64]
    if head.startswith(b"<"):
        return parse_efetch_xml(data)
    if head.startswith(b"{"):
        result = parse_esummary_json(data)
        if result.errors:
            detail = "; ".join(f"{uid}: {message}" for uid, message in result.errors.items())
            raise PubMedResponseError(f"The ESummary file reports errors: {detail}")
        return list(result.records)
    if head.startswith(b"PMID-"):
        return parse_medline(data)
    raise PubMedResponseError(
        "Unrecognised file: expected PubMed XML (EFetch), ESummary JSON or MEDLINE text."
    )
