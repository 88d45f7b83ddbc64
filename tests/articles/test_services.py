"""Editorial services: sanitising on save, optimistic locking, slugs and revisions."""

import pytest
from django.core.exceptions import ValidationError

from articles.content.services import (
    StaleArticleError,
    article_create,
    article_update,
    revision_create,
)
from articles.content.snapshot import content_hash
from articles.models import Article, ArticleRevision, RevisionCitation, SlugRedirect
from references.models import Citation
from tests.factories.articles import (
    ArticleFactory,
    CitationFactory,
    StaffUserFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def _data(**overrides):
    data = {
        "title": "Chronic back pain",
        "slug": "chronic-back-pain",
        "standfirst": "Pain that lasts more than 12 weeks.",
        "body": "<p>Most back pain gets better.</p>",
        "article_type": "condition_overview",
        "topics": [TopicFactory()],
        "takeaways": ["Keep moving.", "Most pain improves."],
        "faq": [{"question": "Is it serious?", "answer": "Rarely."}],
        "comparisons": [{"term": "Acute pain", "explanation": "Lasts days, not months."}],
    }
    return {**data, **overrides}


def test_article_create_sanitises_the_body_and_the_faq_answers():
    article = article_create(
        data=_data(
            body='<p onclick="x()">Hi<script>alert(1)</script></p><a href="javascript:1">l</a>',
            faq=[{"question": "Q?", "answer": "<p>A<img src=x onerror=alert(1) alt=a></p>"}],
        ),
        user=StaffUserFactory(),
    )
    article.refresh_from_db()
    assert article.body == '<p>Hi</p><a rel="noopener noreferrer">l</a>'
    assert article.faq_entries.get().answer == '<p>A<img src="x" alt="a"></p>'
    assert [t.text for t in article.takeaways.all()] == ["Keep moving.", "Most pain improves."]


def test_plain_text_faq_answers_become_escaped_paragraphs():
    article = article_create(
        data=_data(faq=[{"question": "Q?", "answer": "One < two\n\nSecond para"}]),
        user=StaffUserFactory(),
    )
    assert article.faq_entries.get().answer == "<p>One &lt; two</p>\n\n<p>Second para</p>"


def test_an_image_without_alt_text_is_refused():
    with pytest.raises(ValidationError, match="Every image needs alt text"):
        article_create(data=_data(body='<p><img src="/a.png"></p>'), user=StaffUserFactory())
    assert not Article.objects.exists()


def test_article_update_bumps_the_version_and_refuses_a_stale_one():
    article = ArticleFactory()
    user = StaffUserFactory()
    article_update(article=article, data={"title": "First"}, expected_version=1, user=user)
    assert Article.objects.get().version == 2

    stale = Article.objects.get()
    stale.version = 1
    with pytest.raises(StaleArticleError):
        article_update(article=stale, data={"title": "Second"}, expected_version=1, user=user)
    fresh = Article.objects.get()
    assert (fresh.title, fresh.version) == ("First", 2)


def test_changing_the_slug_records_a_redirect_and_taking_it_back_removes_it():
    article = ArticleFactory(slug="old-name")
    user = StaffUserFactory()
    article_update(article=article, data={"slug": "new-name"}, expected_version=1, user=user)
    assert list(SlugRedirect.objects.values_list("old_slug", flat=True)) == ["old-name"]
    article_update(article=article, data={"slug": "old-name"}, expected_version=2, user=user)
    assert list(SlugRedirect.objects.values_list("old_slug", flat=True)) == ["new-name"]


def test_another_articles_former_slug_cannot_be_taken():
    first = ArticleFactory(slug="taken")
    article_update(article=first, data={"slug": "moved"}, expected_version=1, user=first_user())
    with pytest.raises(ValidationError, match="used to belong to another article"):
        article_create(data=_data(slug="taken"), user=first_user())


def first_user():
    return StaffUserFactory(username="first")


def test_revision_create_numbers_revisions_and_skips_unchanged_content():
    article = ArticleFactory(takeaways=2, faq=1, comparisons=1)
    user = StaffUserFactory()
    first = revision_create(article=article, user=user)
    again = revision_create(article=article, user=user)
    assert again.pk == first.pk
    assert ArticleRevision.objects.count() == 1

    article_update(article=article, data={"title": "New title"}, expected_version=1, user=user)
    second = revision_create(article=article, user=user)
    assert (first.number, second.number) == (1, 2)
    assert second.snapshot["title"] == "New title"
    assert second.content_hash == content_hash(second.snapshot) == second.compute_hash()
    assert set(second.snapshot) == {
        "title", "standfirst", "body", "takeaways", "faq", "comparisons", "citations"
    }


def test_a_draft_only_change_outside_the_snapshot_makes_no_revision():
    article = ArticleFactory()
    user = StaffUserFactory()
    revision_create(article=article, user=user)
    article_update(article=article, data={"featured": True}, expected_version=1, user=user)
    revision_create(article=article, user=user)
    assert ArticleRevision.objects.count() == 1


def test_revision_citations_follow_first_appearance_and_use_stored_citations():
    a, b = CitationFactory(pmid="11111111"), CitationFactory(pmid="22222222")
    article = ArticleFactory(
        body="<p>B first [PMID:22222222], then A https://pubmed.ncbi.nlm.nih.gov/11111111/, "
        "B again [PMID: 22222222].</p>"
    )
    revision = revision_create(article=article, user=StaffUserFactory())
    assert [c["pmid"] for c in revision.snapshot["citations"]] == ["22222222", "11111111"]
    links = RevisionCitation.objects.filter(revision=revision).order_by("position")
    assert [(link.position, link.citation) for link in links] == [(1, b), (2, a)]
    assert "then A [PMID:11111111]," in revision.snapshot["body"]  # pasted URL normalised


def test_unknown_pmids_are_fetched_with_the_given_client():
    from tests.articles.conftest import FakePubMed

    client = FakePubMed()
    article = ArticleFactory(body="<p>Claim [PMID:33333333].</p>")
    revision = revision_create(article=article, user=StaffUserFactory(), client=client)
    assert client.calls == [["33333333"]]
    assert Citation.objects.get(pmid="33333333")
    assert revision.snapshot["citations"][0]["pmid"] == "33333333"


def test_pubmed_down_refuses_the_revision_and_names_the_pmids():
    from tests.articles.conftest import FakePubMed

    article = ArticleFactory(body="<p>Claim [PMID:44444444] and [PMID:55555555].</p>")
    with pytest.raises(ValidationError, match="44444444, 55555555"):
        revision_create(article=article, user=StaffUserFactory(), client=FakePubMed(down=True))
    assert not ArticleRevision.objects.exists()
    assert not Citation.objects.exists()
