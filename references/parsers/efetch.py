"""Parse PubMed EFetch XML (`db=pubmed&retmode=xml`) into `PubmedRecord` objects.

Accepts a `<PubmedArticleSet>` (what EFetch returns) or a bare `<PubmedArticle>` (what some
tools save). Parsing streams with `lxml.etree.iterparse` and frees each record once read, so a
file of 10,000 records is parsed in bounded memory (see bench/bench_parse.py).

The parser is deliberately unable to reach the network or the file system: DTDs are not
loaded, external entities are not resolved, and lxml's default depth/size guards stay on
(`huge_tree=False`). EFetch output references an external DTD we never need.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from references.parsers.common import (
    RETRACTED,
    RETRACTION_STATUSES,
    PubDate,
    clean_doi,
    clean_pmid,
    collapse,
    is_retracted_type,
    link_status,
    normalise_month,
    notice_date,
    parse_day,
    parse_year,
    split_date,
    strongest_status,
    type_statuses,
)
from references.records import Author, PubmedRecord, PubMedResponseError

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")
ACCEPTED_ROOTS = frozenset({"PubmedArticleSet", *RECORD_TAGS})
# NCBI reports request errors as <ERROR> at the top level or inside <eFetchResult>.
ERROR_ROOTS = frozenset({"ERROR", "eFetchResult"})

Source = bytes | str | os.PathLike | BinaryIO


def _open(source: Source) -> BinaryIO:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, str):
        # A str is XML text, never a path: callers pass paths as pathlib.Path. A lone surrogate
        # (from JSON-decoded text, say) becomes bytes that are not UTF-8, which lxml refuses.
        return io.BytesIO(source.encode("utf-8", "surrogatepass"))
    if isinstance(source, os.PathLike):
        return open(source, "rb")  # noqa: SIM115 - closed by the caller's finally
    return source


def _text(element: etree._Element | None) -> str:
    """All text inside an element, inline markup (<i>, <sup>) flattened, whitespace collapsed."""
    if element is None:
        return ""
    return collapse("".join(element.itertext()))


def iter_efetch_xml(source: Source) -> Iterator[PubmedRecord]:
    """Yield one `PubmedRecord` per `PubmedArticle`/`PubmedBookArticle` in an EFetch document.

    Raises `PubMedResponseError` for an NCBI `<ERROR>`, a document of another kind (wrong root)
    or XML that is not well formed (truncated download, binary junk). Records already yielded
    before a late syntax error are not retracted: use `parse_efetch_xml` for all-or-nothing.
    """
    stream = _open(source)
    context = etree.iterparse(
        stream,
        events=("end",),
        tag=(*RECORD_TAGS, "ERROR"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root_checked = False
    try:
        for _event, element in context:
            if element.tag == "ERROR":
                # Whatever the envelope (eFetchResult, eSearchResult ...), NCBI's message is
                # the most useful thing to report.
                raise PubMedResponseError(f"PubMed returned an error: {_text(element)}")
            if not root_checked:
                _check_root(element.getroottree().getroot().tag)
                root_checked = True
            yield _parse_record(element)
            # Free what has been read: the element, and the siblings already processed.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
        if context.root is None:
            raise PubMedResponseError("The PubMed response is empty.")
        if not root_checked:
            _check_root(context.root.tag)
    except etree.XMLSyntaxError as exc:
        raise PubMedResponseError(f"The PubMed response is not well-formed XML: {exc}") from exc
    finally:
        if stream is not source:
            stream.close()


def parse_efetch_xml(source: Source) -> list[PubmedRecord]:
    """Parse a whole EFetch document; either every record is returned or an error is raised."""
    return list(iter_efetch_xml(source))


def _check_root(tag: object) -> None:
    if tag in ACCEPTED_ROOTS or tag in ERROR_ROOTS:
        return
    raise PubMedResponseError(
        f"Expected a PubMed EFetch document (<PubmedArticleSet>), got <{str(tag)[:60]}>."
    )


def _parse_record(element: etree._Element) -> PubmedRecord:
    if element.tag == "PubmedBookArticle":
        return _parse_book(element)
    citation = element.find("MedlineCitation")
    if citation is None:
        raise PubMedResponseError("A <PubmedArticle> has no <MedlineCitation>.")
    pmid = clean_pmid(citation.findtext("PMID"))
    if not pmid:
        raise PubMedResponseError("A <PubmedArticle> has no valid <PMID>.")
    article = citation.find("Article")
    if article is None:
        raise PubMedResponseError(f"PMID {pmid} has no <Article>.")
    journal = article.find("Journal")
    journal_issue = journal.find("JournalIssue") if journal is not None else None
    date = _pub_date(journal_issue.find("PubDate") if journal_issue is not None else None, article)
    publication_types = tuple(
        _text(pt) for pt in article.iterfind("PublicationTypeList/PublicationType")
    )
    status, notice_pmid, notice_on = _notices(citation, publication_types)
    ids = _article_ids(element)
    return PubmedRecord(
        pmid=pmid,
        title=_text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle")),
        doi=ids.get("doi") or _elocation_doi(article),
        authors=_authors(article.find("AuthorList")),
        journal_abbrev=_journal_abbrev(citation, journal),
        journal_title=_text(journal.find("Title")) if journal is not None else "",
        year=date.year,
        month=date.month,
        day=date.day,
        volume=collapse(journal_issue.findtext("Volume")) if journal_issue is not None else "",
        issue=collapse(journal_issue.findtext("Issue")) if journal_issue is not None else "",
        pages=_pages(article.find("Pagination")),
        publication_types=publication_types,
        abstract=_abstract(article.find("Abstract")),
        # Two independent signals: the publication type, and links to notices
        # (RetractionIn, PartialRetractionIn, RetractedandRepublishedIn, ExpressionOfConcernIn).
        retracted=status in RETRACTION_STATUSES,
        retraction_notice_pmid=notice_pmid,
        retraction_status=status,
        retraction_date=notice_on,
        other_ids=tuple((k, v) for k, v in ids.items() if k not in ("doi", "pubmed")),
        problems=(date.problem,) if date.problem else (),
    )


def _parse_book(element: etree._Element) -> PubmedRecord:
    """A PubMed Bookshelf record (<PubmedBookArticle>): title, authors, book and year."""
    document = element.find("BookDocument")
    if document is None:
        raise PubMedResponseError("A <PubmedBookArticle> has no <BookDocument>.")
    pmid = clean_pmid(document.findtext("PMID"))
    if not pmid:
        raise PubMedResponseError("A <PubmedBookArticle> has no valid <PMID>.")
    book = document.find("Book")
    book_title = _text(book.find("BookTitle")) if book is not None else ""
    article_title = _text(document.find("ArticleTitle"))
    date = _pub_date(book.find("PubDate") if book is not None else None, None)
    publication_types = tuple(_text(pt) for pt in document.iterfind("PublicationType"))
    author_list = document.find("AuthorList")
    if author_list is None and book is not None:
        author_list = book.find("AuthorList")
    ids = _article_ids(element)
    return PubmedRecord(
        pmid=pmid,
        title=article_title or book_title,
        doi=ids.get("doi", ""),
        authors=_authors(author_list),
        journal_title=book_title if article_title else "",
        year=date.year,
        month=date.month,
        day=date.day,
        publication_types=publication_types,
        abstract=_abstract(document.find("Abstract")),
        retracted=is_retracted_type(publication_types),
        retraction_status=RETRACTED if is_retracted_type(publication_types) else "",
        problems=(date.problem,) if date.problem else (),
    )


def _pub_date(pub_date: etree._Element | None, article: etree._Element | None) -> PubDate:
    if pub_date is not None:
        medline_date = pub_date.findtext("MedlineDate")
        if medline_date:
            return split_date(medline_date)
        date = parse_year(pub_date.findtext("Year"))
        if date.problem:
            return date
        if date.year is not None:
            month = normalise_month(pub_date.findtext("Month")) or collapse(
                pub_date.findtext("Season")
            )
            return date._replace(month=month, day=parse_day(pub_date.findtext("Day"), month))
    # Ahead-of-print records may carry only the electronic <ArticleDate>.
    if article is not None:
        article_date = article.find("ArticleDate")
        if article_date is not None:
            date = parse_year(article_date.findtext("Year"))
            if date.year is not None:
                month = normalise_month(article_date.findtext("Month"))
                return date._replace(
                    month=month, day=parse_day(article_date.findtext("Day"), month)
                )
            return date
    return PubDate(None)


def _authors(author_list: etree._Element | None) -> tuple[Author, ...]:
    if author_list is None:
        return ()
    authors = []
    for author in author_list.iterfind("Author"):
        # ValidYN="N" marks a name PubMed keeps only to record a correction.
        if author.get("ValidYN") == "N":
            continue
        # One pass over the children: author lists run to hundreds of names, and repeated
        # findtext() calls dominated parsing time in bench/bench_parse.py.
        parts: dict[str, str] = {}
        for child in author:
            if child.tag == "CollectiveName":
                parts["CollectiveName"] = _text(child)  # may hold inline markup
            elif isinstance(child.tag, str) and child.text:
                parts.setdefault(child.tag, child.text)
        authors.append(
            Author(
                last_name=collapse(parts.get("LastName")),
                fore_name=collapse(parts.get("ForeName")),
                initials=collapse(parts.get("Initials")),
                collective_name=parts.get("CollectiveName", ""),
                suffix=collapse(parts.get("Suffix")),
            )
        )
    return tuple(authors)


def _abstract(abstract: etree._Element | None) -> str:
    """Join abstract sections; structured abstracts keep their labels ("RESULTS: ...")."""
    if abstract is None:
        return ""
    sections = []
    for part in abstract.iterfind("AbstractText"):
        text = _text(part)
        label = collapse(part.get("Label"))
        sections.append(f"{label}: {text}" if label else text)
    return "\n\n".join(section for section in sections if section)


def _pages(pagination: etree._Element | None) -> str:
    if pagination is None:
        return ""
    medline_pages = collapse(pagination.findtext("MedlinePgn"))
    if medline_pages:
        return medline_pages
    start = collapse(pagination.findtext("StartPage"))
    end = collapse(pagination.findtext("EndPage"))
    return f"{start}-{end}" if start and end and start != end else start


def _journal_abbrev(citation: etree._Element, journal: etree._Element | None) -> str:
    # MedlineTA is the NLM title abbreviation Citing Medicine prescribes. Older records' ISO
    # abbreviations carry periods ("J. Biol. Chem."), which NLM style drops.
    medline_ta = collapse(citation.findtext("MedlineJournalInfo/MedlineTA"))
    if medline_ta:
        return medline_ta
    if journal is None:
        return ""
    return collapse(collapse(journal.findtext("ISOAbbreviation")).replace(".", " "))


def _article_ids(element: etree._Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for article_id in element.iterfind("PubmedData/ArticleIdList/ArticleId"):
        id_type = article_id.get("IdType", "")
        value = clean_doi(article_id.text) if id_type == "doi" else collapse(article_id.text)
        if id_type and value and id_type not in ids:
            ids[id_type] = value
    return ids


def _elocation_doi(article: etree._Element) -> str:
    for location in article.iterfind("ELocationID"):
        if location.get("EIdType") == "doi" and location.get("ValidYN", "Y") != "N":
            return clean_doi(location.text)
    return ""


def _notices(citation: etree._Element, publication_types: tuple[str, ...]) -> tuple[str, str, str]:
    """
    (status, the notice's PMID, the notice's date) from the correction links and the types.

    The notice named is the one that gave the strongest status; its date is read from the
    link's RefSource ("J Pain. 2021 Mar;22(3):345").
    """
    links: dict[str, tuple[str, str]] = {}
    for item in citation.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        status = link_status(item.get("RefType"))
        if status and (status not in links or not links[status][0]):
            links[status] = (
                clean_pmid(item.findtext("PMID")),
                notice_date(item.findtext("RefSource")),
            )
    status = strongest_status([*links, *type_statuses(publication_types)])
    notice_pmid, notice_on = links.get(status, ("", ""))
    return status, notice_pmid, notice_on
