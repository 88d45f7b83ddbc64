"""manage.py import_site: pages brought across from a previous site, as drafts (issue 13)."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.crypto import salted_hmac

from articles.content import site_import
from articles.models import Article, ArticleRevision, Publication, RevisionCitation
from articles.publishing import publication
from articles.publishing.publication import SEALED_FIELDS, publication_is_sound
from articles.publishing.structured_data import medical_web_page
from articles.publishing.workflow import article_publish
from references.models import Citation
from reviews import keys
from reviews.models import ReviewRequest, SignOff
from tests.articles.conftest import FakePubMed
from tests.factories.articles import ArticleFactory, ContributorFactory, EditorFactory, TopicFactory
from tests.factories.workflow import sign
from tests.html_checker import nu_check
from tests.references.conftest import DEMO_XML

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "site_import" / "example.json"


@pytest.fixture
def site(db):
    """What the example needs here: its citations (imported from the demo PubMed file, with
    no network), its topics, an editor and a writer."""
    call_command("import_citations", "--file", str(DEMO_XML), "--no-progress", stdout=io.StringIO())
    TopicFactory(name="Chronic pain", slug="chronic-pain")
    TopicFactory(name="Depression", slug="depression")
    return {"editor": EditorFactory(username="importer"), "author": ContributorFactory()}


def run(path, *args, user="importer"):
    """Run the command; returns (stdout, stderr, the CommandError or None)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_site", str(path), "--user", user, *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def write(tmp_path, pages, name="site.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(pages, indent=2), encoding="utf-8")
    return path


def page(**fields):
    """A page the `site` fixture can import, with `fields` changed."""
    return {
        "title": "A page",
        "body": "<p>Text [1].</p>",
        "references": ["29870458"],
        "topics": ["chronic-pain"],
        **fields,
    }


def test_good_file_imports_drafts_with_all_their_parts(site):
    out, err, error = run(EXAMPLE, "--author", site["author"].slug)

    assert error is None and err == ""
    assert "Imported 2 of 2 page(s) as drafts." in out
    first = Article.objects.get(slug="ketamine-infusions-chronic-pain")
    # Drafts only: nothing signed, sent for review or live.
    assert first.live_revision is None and first.first_published_at is None
    assert not SignOff.objects.exists() and not ReviewRequest.objects.exists()
    assert first.article_type == "treatment"
    assert [t.text for t in first.takeaways.all()] == [
        "Ketamine infusions are a specialist treatment for a few kinds of long-term pain.",
        "The benefit, when there is one, usually fades within months.",
    ]
    assert [(e.question, e.answer) for e in first.faq_entries.all()] == [
        (
            "Is ketamine addictive?",
            "<p>Used in hospital at low doses, the risk is small, but it is not zero.</p>",
        )
    ]
    assert [c.term for c in first.comparisons.all()] == ["Opioid painkillers"]
    assert [t.slug for t in first.topics.all()] == ["chronic-pain"]
    assert list(first.authors.all()) == [site["author"]]
    assert first.original_published_on == date(2019, 3, 3)
    assert first.legacy_reviews == [{"reviewer": "Dana Whitfield, MD", "date": "2021-06-12"}]
    # Sanitised as the admin does; numbered marks mapped to the references by position, the
    # old site's superscript dropped (the page renders its own).
    assert "<script>" not in first.body
    assert "slowly into a vein, it is used for some long-term pain.[PMID:29870458]</p>" in (
        first.body
    )
    assert "about three months [PMID:29870458],[PMID:23982301].</p>" in first.body
    revision = ArticleRevision.objects.get(article=first)
    assert revision.number == 1 and revision.created_by == site["editor"]
    assert [c["pmid"] for c in revision.snapshot["citations"]] == ["29870458", "23982301"]
    assert list(
        RevisionCitation.objects.filter(revision=revision).values_list("citation__pmid", flat=True)
    ) == ["29870458", "23982301"]

    # A reference by DOI becomes a DOI marker, citing the library's record of that DOI (here
    # a PubMed record); the slug comes from the title.
    second = Article.objects.get(slug="ketamine-for-depression")
    assert second.body == (
        "<p>Ketamine is also studied as a fast-acting treatment for severe depression "
        "[DOI:10.1001/jamapsychiatry.2017.0080].</p>"
    )
    cited = ArticleRevision.objects.get(article=second).snapshot["citations"]
    assert [(c["pmid"], c["doi"]) for c in cited] == [
        ("28249076", "10.1001/jamapsychiatry.2017.0080")
    ]
    assert [t.name for t in second.topics.all()] == ["Depression"]
    assert second.legacy_reviews == [{"reviewer": "Sam Okafor, DO", "date": "2022-01-10"}]


def test_the_documented_example_is_the_fixture():
    """docs/import-site.md shows a complete file: exactly the one the tests import."""
    docs = (ROOT / "docs" / "import-site.md").read_text()
    block = re.search(r"```json\n(.*?)```", docs, re.DOTALL).group(1)
    assert json.loads(block) == json.loads(EXAMPLE.read_text())


def test_bad_pages_are_reported_by_position_and_the_good_ones_stored(site, tmp_path):
    ArticleFactory(slug="taken", title="Already here")
    path = write(
        tmp_path,
        [
            page(title="Good page"),
            page(slug="taken"),
            page(title=""),
            page(slug="unknown-pmid", references=["29870458", "12345"]),
            page(slug="bad-date", published_on="3rd of Mar"),
            page(slug="twice"),
            page(slug="twice", title="Twice again"),
            "not a page",
            page(slug="no-topic", topics=["Gout"]),
            page(slug="beyond", body="<p>Text [1] and [3].</p>"),
            page(slug="future", legacy_reviews=["Reviewed by A. Doctor, MD on 2999-01-01"]),
            page(slug="unknown-doi", references=[{"doi": "10.9999/nowhere.1"}]),
        ],
    )

    out, err, error = run(path)

    lines = err.splitlines()
    assert lines == [
        "site.json: page 2 (line 12, slug 'taken'): slug already used by the article "
        "'Already here' on this site",
        "site.json: page 3 (line 23): title is missing or empty",
        "site.json: page 4 (line 33, slug 'unknown-pmid'): reference 2: PMID 12345 is not in "
        "the citation library; import it first with manage.py import_citations (or run with "
        "--fetch)",
        "site.json: page 5 (line 45, slug 'bad-date'): published_on: '3rd of Mar' is not a "
        "date (write it as YYYY-MM-DD)",
        "site.json: page 6 (line 57, slug 'twice'): slug 'twice' is also used by page 7 of "
        "this file",
        "site.json: page 7 (line 68, slug 'twice'): slug 'twice' is also used by page 6 of "
        "this file",
        'site.json: page 8 (line 79): is a JSON string, not a page object ({"title": ..., ...})',
        "site.json: page 9 (line 80, slug 'no-topic'): topic 'Gout' does not exist here; "
        "create it in the admin first",
        "site.json: page 10 (line 91, slug 'beyond'): body: reference mark [3] does not match "
        "the page's 1 reference(s)",
        "site.json: page 11 (line 102, slug 'future'): legacy review 1: 2999-01-01 is in the "
        "future",
        "site.json: page 12 (line 116, slug 'unknown-doi'): reference 1: DOI 10.9999/nowhere.1 "
        "is not in the citation library; import its PubMed record first (manage.py "
        "import_citations) or add it in Citations",
    ]
    assert "site.json: 11 page(s) refused" in str(error)
    assert "Imported 1 of 12 page(s) as drafts." in out
    assert list(Article.objects.values_list("slug", flat=True).order_by("slug")) == [
        "good-page",
        "taken",
    ]


def test_numbered_marks_in_their_usual_forms_become_markers(site, tmp_path):
    """[1], [1,2], [1-3] and [2–3], bare, in a superscript or in a link to the old site's
    reference list, map to the references by position; other brackets are left alone."""
    body = (
        '<p>A<sup><a href="#ref1">[1]</a></sup> B[1, 2] C <sup>[1-3]</sup> D [2\u20133].</p>'
        '<p>Not a mark: [see below], <a href="https://example.org/a[1]">x</a>.</p>'
    )
    references = ["29870458", "23982301", "28249076"]
    path = write(tmp_path, [page(body=body, references=references)])
    _, err, error = run(path)
    assert error is None, err
    p1, p2, p3 = "[PMID:29870458]", "[PMID:23982301]", "[PMID:28249076]"
    assert Article.objects.get().body == (
        f"<p>A{p1} B{p1},{p2} C {p1},{p2},{p3} D {p2},{p3}.</p>"
        '<p>Not a mark: [see below], <a href="https://example.org/a[1]" '
        'rel="noopener noreferrer">x</a>.</p>'
    )


def test_a_service_refusal_is_reported_and_stores_nothing_for_that_page(site, tmp_path):
    """The services' own checks apply (here: an image needs alt text), page by page."""
    path = write(tmp_path, [page(body='<p>[1]</p><img src="https://example.org/a.png">')])
    _, err, error = run(path)
    assert "page 1 (line 2, slug 'a-page'): body: Every image needs alt text" in err
    assert error is not None
    assert not Article.objects.exists() and not ArticleRevision.objects.exists()


def test_dry_run_checks_everything_and_stores_nothing(site, tmp_path):
    out, err, error = run(EXAMPLE, "--dry-run")
    assert error is None and err == ""
    assert "Dry run: 2 of 2 page(s) would be imported; nothing was stored." in out
    assert not Article.objects.exists() and not ArticleRevision.objects.exists()

    # The same checks as a real import, the services' included.
    path = write(tmp_path, [page(body='<p>[1]</p><img src="https://example.org/a.png">')])
    _, err, error = run(path, "--dry-run")
    assert "Every image needs alt text" in err and error is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'[{"title": "x",\n  "body" "y"}]',
            "is not valid JSON: Expecting ':' delimiter at line 2, column 10.",
        ),
        (b'{"title": "x"}', "holds a JSON object; it must hold a list of pages"),
        (b"[]", "holds an empty list"),
        (b"[\xff]", "is not UTF-8 text (byte 2 cannot be read)"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_a_file_that_cannot_be_read_stores_nothing(site, tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=re.escape(message)) as caught:
        call_command("import_site", str(path), "--user", "importer", stdout=io.StringIO())
    assert str(caught.value).startswith("broken.json: ") and "Nothing was imported" in str(
        caught.value
    )
    assert not Article.objects.exists()


def test_a_byte_order_mark_and_control_characters(site, tmp_path):
    """A BOM (Windows editors add one) is read past; control characters are removed, with a
    warning naming where they were."""
    text = json.dumps([page(title="Bell\u0000 page", standfirst="Tab\x0bbed")])
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\\u000b", "\x0b").encode())
    out, _, error = run(path)
    assert error is None
    assert (
        "page 1 (line 1, slug 'bell-page'): control characters (invisible, unstorable) "
        "were removed from title, standfirst" in out
    )
    article = Article.objects.get()
    assert (article.title, article.standfirst) == ("Bell page", "Tabbed")


def test_a_very_large_file_is_refused_before_it_is_read(site, tmp_path, monkeypatch):
    monkeypatch.setattr(site_import, "MAX_FILE_BYTES", 1024)
    monkeypatch.setattr("articles.management.commands.import_site.MAX_FILE_BYTES", 1024)
    path = write(tmp_path, [page(body="<p>" + "x" * 2000 + " [1]</p>")])
    with pytest.raises(CommandError, match=r"site.json: The file is 0\.0 MB; the largest"):
        run_strict(path)
    assert not Article.objects.exists()


def run_strict(path, *args):
    call_command("import_site", str(path), "--user", "importer", *args, stdout=io.StringIO())


def test_the_login_must_be_an_editor(site, tmp_path):
    with pytest.raises(CommandError, match="No login named 'nobody'"):
        call_command("import_site", str(EXAMPLE), "--user", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No contributor with the slug 'nobody'"):
        run_strict(EXAMPLE, "--author", "nobody")


def test_fetch_gets_missing_pmids_before_importing(site, tmp_path, monkeypatch):
    fake = FakePubMed()
    monkeypatch.setattr(
        "articles.management.commands.import_site.pubmed_client_from_settings", lambda: fake
    )
    path = write(tmp_path, [page(references=["29870458", "31000001"], body="<p>[1] [2]</p>")])
    out, err, error = run(path, "--fetch")
    assert error is None, err
    assert fake.calls == [["31000001"]]
    assert Citation.objects.filter(pmid="31000001").exists()
    assert "[PMID:31000001]" in Article.objects.get().body


def _import_sign_and_publish(site) -> Article:
    """The example imported, its first page approved by a physician and published here."""
    run(EXAMPLE)
    article = Article.objects.get(slug="ketamine-infusions-chronic-pain")
    revision = ArticleRevision.objects.get(article=article)
    sign(revision)
    article_publish(article=article, revision=revision, user=EditorFactory())
    return article


def test_the_public_page_shows_the_original_date_and_legacy_line_apart_from_the_stamp(
    site, client, settings
):
    settings.SHOW_LEGACY_REVIEWS = True
    article = _import_sign_and_publish(site)
    record = Publication.objects.get(article=article)
    html = client.get(article.get_absolute_url()).content.decode()

    assert (
        '<p class="dates dates-original">First published <time datetime="2019-03-03">'
        "3 March 2019</time></p>" in html
    )
    assert (
        '<p class="dates legacy-review"><small>Reviewed by Dana Whitfield, MD on <time '
        'datetime="2021-06-12">12 June 2021</time> (before this site\'s signed reviews)'
        "</small></p>"
    ) in html
    assert nu_check({"page": html}) == {"page": []}
    # Never inside the signed stamp, the JSON-LD or the attestation.
    stamp = html[html.index('<section class="review-stamp"') :]
    stamp = stamp[: stamp.index("</section>")]
    assert "Whitfield" not in stamp
    assert "Whitfield" not in record.json_ld
    json_ld = json.loads(html.split('<script type="application/ld+json">')[1].split("</script>")[0])
    web_page = json_ld["@graph"][0]
    assert web_page["datePublished"] == "2019-03-03"
    assert web_page["reviewedBy"]["name"] != "Dana Whitfield"
    attestation = client.get(reverse("articles:review_json", args=[article.slug]))
    assert attestation.status_code == 200 and b"Whitfield" not in attestation.content


def test_with_the_setting_off_the_legacy_line_is_not_shown(site, client, settings):
    settings.SHOW_LEGACY_REVIEWS = False
    article = _import_sign_and_publish(site)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Whitfield" not in html and "before this site" not in html
    assert "First published" in html


def test_the_seal_covers_the_imported_fields(site):
    """Changing the original date or a legacy line in SQL breaks the record's seal."""
    article = _import_sign_and_publish(site)
    assert publication_is_sound(Publication.objects.get(article=article))
    Publication.objects.filter(article=article).update(
        legacy_reviews=[{"reviewer": "Someone Else, MD", "date": "2021-06-12"}]
    )
    assert not publication_is_sound(Publication.objects.get(article=article))
    Publication.objects.filter(article=article).update(
        legacy_reviews=[{"reviewer": "Dana Whitfield, MD", "date": "2021-06-12"}],
        original_published_on=date(2010, 1, 1),
    )
    assert not publication_is_sound(Publication.objects.get(article=article))


def test_records_without_imported_fields_keep_the_seal_they_had():
    """The new columns are sealed only when set, so records written before them stay sound."""
    article = ArticleFactory(live=True)
    record = Publication.objects.get(article=article)
    columns = {name: publication._value(getattr(record, name)) for name in SEALED_FIELDS}
    before = salted_hmac(
        publication._SEAL_PURPOSE, keys.canonical_json(columns), algorithm="sha256"
    ).hexdigest()
    assert record.seal == before


def test_json_ld_takes_the_original_date_only_when_it_is_earlier():
    published = datetime(2024, 5, 5, 12, tzinfo=UTC)
    page_context = {"url": "/articles/x/", "title": "X", "published_at": published}
    earlier = medical_web_page({**page_context, "original_published_on": date(2019, 3, 3)})
    assert earlier["datePublished"] == "2019-03-03"
    later = medical_web_page({**page_context, "original_published_on": date(2025, 1, 1)})
    assert later["datePublished"] == medical_web_page(page_context)["datePublished"]
    assert later["datePublished"].startswith("2024-05-05")
