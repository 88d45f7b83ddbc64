"""
`verify_signoffs` against someone with database access: rows forged, rewritten with every hash
recomputed, deleted (the newest included), revisions edited and live pointers set in SQL. Each
is named; an intact database passes. Tampering goes around the database's triggers, as an
owner of the database could (`tests.tamper`), hence real transactions.
"""

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from articles.models import Article
from reviews.models import AuditEvent, SignOff
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.workflow import approved_revision, edit_body
from tests.tamper import forge_signoff, tamper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def head_file(settings, tmp_path):
    """The log head is written outside the database after each signature."""
    settings.SIGNOFF_LOG_HEAD_FILE = str(tmp_path / "signoff-log-head.json")
    return tmp_path / "signoff-log-head.json"


@pytest.fixture
def signed(head_file):
    """Three live articles, each approved: three sign-offs, a head written outside the DB."""
    articles = [ArticleFactory(live=True) for _ in range(3)]
    return articles, list(SignOff.objects.order_by("pk"))


def verify(*args) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("verify_signoffs", *args, stdout=out, stderr=out)
    return out.getvalue() + str(info.value)


def rewrite(signoff: SignOff, **changes) -> None:
    """Rewrite one record in SQL with its record hash recomputed, and re-chain all after it."""
    later = list(SignOff.objects.filter(pk__gte=signoff.pk).order_by("pk"))
    previous_hash = later[0].previous_hash
    for index, record in enumerate(later):
        if index == 0:
            for name, value in changes.items():
                setattr(record, name, value)
        record.previous_hash = previous_hash
        record.record_hash = record.compute_record_hash()
        tamper(
            "UPDATE reviews_signoff SET printed_name = %s, previous_hash = %s, record_hash = %s "
            "WHERE id = %s",
            [record.printed_name, record.previous_hash, _placeholder(record), record.pk],
        )
        previous_hash = record.record_hash
    # Unique record hashes forbid swapping in place; a second pass sets the real values.
    for record in later:
        tamper(
            "UPDATE reviews_signoff SET record_hash = %s WHERE id = %s",
            [record.record_hash, record.pk],
        )


def _placeholder(record) -> str:
    return hashlib.sha256(f"placeholder {record.pk}".encode()).hexdigest()


def delete_newest(article, newest: SignOff) -> None:
    """Remove the newest sign-off and every trace of it, as an owner of the database could."""
    tamper("UPDATE articles_article SET live_revision_id = NULL WHERE id = %s", [article.pk])
    tamper(
        "DELETE FROM articles_publicationtopic WHERE publication_id IN "
        "(SELECT id FROM articles_publication WHERE article_id = %s)",
        [article.pk],
    )
    tamper("DELETE FROM articles_publication WHERE article_id = %s", [article.pk])
    tamper("DELETE FROM reviews_auditevent WHERE revision_id = %s", [newest.revision_id])
    tamper("DELETE FROM reviews_signoff WHERE id = %s", [newest.pk])


def test_an_intact_database_verifies(signed):
    out = StringIO()
    call_command("verify_signoffs", stdout=out)
    assert "3 sign-off(s) verified" in out.getvalue()


def test_a_forged_new_tail_is_named_even_when_correctly_chained(signed):
    articles, signoffs = signed
    head = signoffs[-1]
    forged = forge_signoff(after=head, revision=head.revision)
    report = verify()
    assert f"SignOff #{forged.pk}" in report and "signature does not verify" in report
    assert f"SignOff #{head.pk}" not in report.replace(f"link to SignOff #{head.pk}", "")


def test_a_rewritten_approval_with_every_hash_recomputed_is_named(signed):
    articles, signoffs = signed
    target = signoffs[1]
    rewrite(target, printed_name="Dr. Somebody Else")
    report = verify()
    assert f"SignOff #{target.pk}" in report
    assert "signature does not verify" in report
    assert "no longer match its record hash" not in report  # the hashes were recomputed
    assert AuditEvent.objects.filter(action="tamper_detected").exists()


def test_a_deleted_newest_record_is_named_from_the_head_kept_outside_the_database(
    signed, head_file
):
    articles, signoffs = signed
    newest = signoffs[-1]
    head = json.loads(head_file.read_text())
    assert head["payload"]["tree_size"] == 3
    delete_newest(articles[2], newest)
    report = verify()
    assert "deleted" in report and f"SignOff #{newest.pk}" in report
    assert "covers 3 records, the database holds 2" in report


def test_a_revision_edited_in_sql_is_named(signed):
    articles, signoffs = signed
    revision = articles[0].live_revision
    changed = {**revision.snapshot, "title": "Edited in SQL"}
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(changed), revision.pk],
    )
    report = verify()
    assert f"revision {revision.pk}" in report and "now hashes to" in report


def test_a_live_pointer_set_in_sql_to_an_unsigned_revision_is_named(signed):
    articles, _ = signed
    article = articles[0]
    unsigned = edit_body(article, "<p>Never reviewed.</p>", editor=EditorFactory())
    tamper(
        "UPDATE articles_article SET live_revision_id = %s WHERE id = %s",
        [unsigned.pk, article.pk],
    )
    report = verify()
    assert f"Article {article.pk}" in report and f"revision {unsigned.pk}" in report
    # And the public never sees it: the gate demands an approval of that revision.
    assert not Article.objects.live().filter(pk=article.pk).exists()


def test_history_rewritten_after_a_tree_head_was_saved_from_the_public_log(signed, tmp_path):
    """An outsider saves the public tree head; a later rewrite cannot match it."""
    articles, signoffs = signed
    saved = Client().get(reverse("transparency:tree_head")).json()
    (tmp_path / "saved.json").write_text(json.dumps(saved))
    out = StringIO()
    call_command("verify_signoffs", "--tree-head", str(tmp_path / "saved.json"), stdout=out)
    rewrite(signoffs[0], printed_name="Someone Else")
    report = verify("--tree-head", str(tmp_path / "saved.json"))
    assert "were rewritten" in report and "first 3" in report


def test_a_new_signature_updates_the_head_kept_outside_the_database(signed, head_file):
    articles, _ = signed
    approved_revision(ArticleFactory())
    head = json.loads(head_file.read_text())
    assert head["payload"]["tree_size"] == 4
    assert head["newest"]["signoff_id"] == SignOff.objects.order_by("-pk").first().pk


def test_a_publication_record_changed_in_sql_is_named_and_derived_again(signed):
    from articles.publishing.models import Publication

    articles, _ = signed
    tamper(
        "UPDATE articles_publication SET title = %s WHERE article_id = %s",
        ["Miracle cure", articles[0].pk],
    )
    report = verify()
    assert f"Publication record of article {articles[0].pk}" in report
    record = Publication.objects.get(article=articles[0])
    assert record.title == articles[0].live_revision.snapshot["title"]
    # Healed: the next run is clean.
    out = StringIO()
    call_command("verify_signoffs", stdout=out, stderr=out)
    assert "3 sign-off(s) verified" in out.getvalue()


def test_a_deleted_record_is_still_named_after_later_signatures(signed, head_file):
    """The head outside the database is not overwritten by a history that drops records."""
    articles, signoffs = signed
    newest = signoffs[-1]
    delete_newest(articles[2], newest)
    approved_revision(ArticleFactory())  # a later, honest signature
    report = verify()
    assert "The first 3 sign-off records were rewritten" in report
