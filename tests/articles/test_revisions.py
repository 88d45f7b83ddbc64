"""Revisions are immutable, and their content hash is canonical and deterministic."""

import pytest

from articles.content.services import revision_create
from articles.content.snapshot import canonical_bytes, content_hash
from articles.models import ArticleRevision, RevisionCitation, RevisionImmutableError
from tests.factories.articles import ArticleFactory, CitationFactory, StaffUserFactory

SNAPSHOT = {
    "title": "Névralgie: what helps",
    "standfirst": "Short.",
    "body": "<p>Text [PMID:29870458]</p>",
    "takeaways": ["One", "Two"],
    "faq": [{"question": "Q?", "answer": "<p>A</p>"}],
    "comparisons": [{"term": "T", "explanation": "E"}],
    "citations": [{"pmid": "29870458", "doi": None, "text": "Ref.", "manual": False}],
}


def test_hash_is_sha256_of_the_canonical_serialisation():
    import hashlib
    import json

    expected = hashlib.sha256(
        json.dumps(SNAPSHOT, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert content_hash(SNAPSHOT) == expected
    assert "Névralgie".encode() in canonical_bytes(SNAPSHOT)  # UTF-8, not \u escapes


def test_hash_ignores_key_order_but_not_list_order_or_content():
    reordered = dict(reversed(list(SNAPSHOT.items())))
    assert content_hash(reordered) == content_hash(SNAPSHOT)
    swapped = {**SNAPSHOT, "takeaways": ["Two", "One"]}
    assert content_hash(swapped) != content_hash(SNAPSHOT)
    edited = {**SNAPSHOT, "body": "<p>Text [PMID:29870458].</p>"}
    assert content_hash(edited) != content_hash(SNAPSHOT)


@pytest.mark.django_db
def test_the_stored_snapshot_rehashes_to_the_stored_hash_after_a_database_round_trip():
    CitationFactory(pmid="29870458")
    article = ArticleFactory(body="<p>Claim [PMID:29870458]</p>", takeaways=3, faq=2)
    revision = revision_create(article=article, user=StaffUserFactory())
    stored = ArticleRevision.objects.get(pk=revision.pk)
    assert stored.compute_hash() == stored.content_hash == revision.content_hash
    # The same draft always gives the same hash.
    assert revision_create(article=article, user=StaffUserFactory()).pk == revision.pk


@pytest.fixture
def revision(db):
    CitationFactory(pmid="29870458")
    article = ArticleFactory(body="<p>Claim [PMID:29870458]</p>")
    return revision_create(article=article, user=StaffUserFactory())


def test_a_stored_revision_cannot_be_saved_again(revision):
    revision.snapshot = {**revision.snapshot, "title": "Tampered"}
    with pytest.raises(RevisionImmutableError, match="append-only and cannot be changed"):
        revision.save()
    assert ArticleRevision.objects.get(pk=revision.pk).snapshot["title"] != "Tampered"


def test_a_hand_set_primary_key_cannot_overwrite_a_revision(revision):
    from django.db import IntegrityError, transaction

    forged = ArticleRevision(
        pk=revision.pk,
        article=revision.article,
        number=99,
        snapshot={},
        content_hash=content_hash({}),
        created_by=revision.created_by,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert ArticleRevision.objects.get(pk=revision.pk).number == revision.number


def test_a_revision_cannot_be_deleted(revision):
    with pytest.raises(RevisionImmutableError):
        revision.delete()
    with pytest.raises(RevisionImmutableError):
        ArticleRevision.objects.filter(pk=revision.pk).delete()
    assert ArticleRevision.objects.filter(pk=revision.pk).exists()


def test_revisions_cannot_be_bulk_updated(revision):
    with pytest.raises(RevisionImmutableError):
        ArticleRevision.objects.filter(pk=revision.pk).update(content_hash="0" * 64)
    revision.content_hash = "0" * 64
    with pytest.raises(RevisionImmutableError):
        ArticleRevision.objects.bulk_update([revision], ["content_hash"])


def test_revision_citation_links_are_immutable_too(revision):
    link = RevisionCitation.objects.get(revision=revision)
    with pytest.raises(RevisionImmutableError):
        link.save()
    with pytest.raises(RevisionImmutableError):
        link.delete()
    with pytest.raises(RevisionImmutableError):
        RevisionCitation.objects.all().delete()


def test_an_article_with_revisions_cannot_be_deleted(revision):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        revision.article.delete()


def test_a_revision_whose_hash_does_not_match_its_snapshot_fails_validation(revision):
    from django.core.exceptions import ValidationError

    forged = ArticleRevision(
        article=revision.article,
        number=2,
        snapshot={**revision.snapshot, "title": "Other"},
        content_hash=revision.content_hash,
        created_by=revision.created_by,
    )
    with pytest.raises(ValidationError, match="does not match"):
        forged.full_clean()


@pytest.mark.django_db
def test_the_review_checks_learn_retractions_from_stored_citations():
    from reviews.checks import retracted_among

    CitationFactory(pmid="12345678", retracted=True)
    CitationFactory(pmid="87654321")
    assert retracted_among(["12345678", "87654321", "11111111"]) == {"12345678"}
