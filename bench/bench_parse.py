"""Benchmark: parse a large generated PubMed EFetch file (default 10,000 records).

    .venv/bin/python bench/bench_parse.py [--records N]

The file is built from the real NCBI records in tests/data/pubmed (plus the demo records),
replicated with fresh PMIDs, into a temporary directory that is removed afterwards. It then
parses the file with the streaming parser used in production and prints records/second and
peak memory: the Python heap peak during parsing (tracemalloc, a second pass so that tracing
does not slow the timed one) and the process's peak resident set size (which also counts the
generation step and libxml2's own buffers). No Django, no network.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere without installing the project

from lxml import etree  # noqa: E402

from references.parsers import iter_efetch_xml  # noqa: E402

SOURCES = sorted((ROOT / "tests" / "data" / "pubmed").glob("efetch-pubmed-*.xml")) + [
    ROOT / "references" / "data" / "demo_citations.xml"
]
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def template_articles() -> list[etree._Element]:
    """Every <PubmedArticle> in the fixture files (a bare-article file counts as one)."""
    articles = []
    for path in SOURCES:
        root = etree.parse(str(path), SAFE_PARSER).getroot()
        articles.extend([root] if root.tag == "PubmedArticle" else root.findall("PubmedArticle"))
    return articles


def generate(path: Path, count: int) -> int:
    """Write an EFetch document of `count` records with PMIDs 10000001, 10000002, ..."""
    templates = template_articles()
    with path.open("wb") as out:
        out.write(b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n')
        for number, article in zip(range(count), itertools.cycle(templates), strict=False):
            pmid = str(10_000_001 + number)
            article.find("MedlineCitation/PMID").text = pmid
            for article_id in article.iterfind("PubmedData/ArticleIdList/ArticleId"):
                if article_id.get("IdType") == "pubmed":
                    article_id.text = pmid
            out.write(etree.tostring(article))
            out.write(b"\n")
        out.write(b"</PubmedArticleSet>\n")
    return path.stat().st_size


def parse(path: Path) -> int:
    """Parse the file with the production parser; return the number of records."""
    with path.open("rb") as handle:
        return sum(1 for _record in iter_efetch_xml(handle))


def main() -> None:
    """Generate, parse, report."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--records", type=int, default=10_000)
    count = options.parse_args().records

    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        path = Path(tmp) / "efetch-large.xml"
        started = time.perf_counter()
        size = generate(path, count)
        took = time.perf_counter() - started
        print(f"generated {count:,} records, {size / 1e6:.1f} MB in {took:.2f} s")

        started = time.perf_counter()
        parsed = parse(path)
        elapsed = time.perf_counter() - started
        assert parsed == count, (parsed, count)
        print(f"parsed {parsed:,} records in {elapsed:.2f} s: {parsed / elapsed:,.0f} records/s")

        tracemalloc.start()
        parse(path)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak Python heap while parsing (tracemalloc): {peak / 1e6:.1f} MB")

    # ru_maxrss is kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    print(f"peak process RSS (generation included): {peak_rss / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
