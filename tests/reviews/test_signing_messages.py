"""
What a physician reads when a signature is refused: each message exactly, since the review
screen shows it as written (and a refusal with no message would leave them guessing).
"""

import pytest
from django.utils import timezone

from reviews.models import SignOff
from reviews.services import SignOffRefused, signoff_create
from reviews.services.lockout import signing_locked_until, signing_lockout_refusal_message
from tests.factories.reviews import PASSWORD

pytestmark = pytest.mark.django_db


def refusal(revision, reviewer, **changes) -> SignOffRefused:
    arguments = {
        "revision": revision,
        "user": reviewer.user,
        "password": PASSWORD,
        "decision": "approved",
        "comment": "",
        "attested": True,
        "expected_hash": revision.content_hash,
        **changes,
    }
    with pytest.raises(SignOffRefused) as refused:
        signoff_create(**arguments)
    assert not SignOff.objects.filter(revision=revision).exists()
    return refused.value


def test_an_unknown_decision_is_named(revision, reviewer):
    refused = refusal(revision, reviewer, decision="maybe")
    assert (refused.code, refused.message) == ("decision", "Unknown decision 'maybe'.")


def test_an_unticked_attestation_says_what_to_do(revision, reviewer):
    refused = refusal(revision, reviewer, attested=False)
    assert (refused.code, refused.message) == (
        "not_attested",
        "Tick the attestation to confirm you reviewed this revision and intend to sign it.",
    )


def test_a_wrong_password_says_nothing_was_signed(revision, reviewer):
    refused = refusal(revision, reviewer, password="not-the-password")
    assert (refused.code, refused.message) == (
        "wrong_password",
        "The password is not correct; nothing was signed.",
    )


def test_content_changed_since_the_screen_names_both_hashes_by_their_first_12_characters(
    revision, reviewer
):
    shown = "a" * 64
    refused = refusal(revision, reviewer, expected_hash=shown)
    assert refused.code == "content_changed"
    assert refused.message == (
        f"Revision {revision.number} is not the content you reviewed: the screen you signed "
        f"from showed hash {'a' * 12}…, the revision now holds {revision.content_hash[:12]}…. "
        "Nothing was signed; reload the review screen and read it again."
    )


def test_a_locked_physician_is_told_until_when(revision, reviewer):
    for _ in range(5):
        refusal(revision, reviewer, password="wrong")
    refused = refusal(revision, reviewer)
    until = signing_locked_until(user=reviewer.user, now=timezone.now())
    assert refused.code == "locked"
    assert refused.message == signing_lockout_refusal_message(until)
    assert refused.message.startswith("Signing is locked")


# --- Separation of duties: what the physician reads, and the article it is counted in ---------


def test_a_physician_who_made_the_revision_is_told_why(reviewer):
    from tests.reviews.conftest import make_revision

    revision = make_revision(user=reviewer.user)
    refused = refusal(revision, reviewer)
    assert (refused.code, refused.message) == (
        "separation_of_duties",
        "You wrote or edited this revision's content since its last approval; a reviewer "
        "cannot sign content they changed.",
    )


def test_a_physician_on_the_byline_when_the_revision_was_made_is_told_why(reviewer):
    from articles.content.snapshot import content_hash
    from articles.models import ArticleRevision
    from tests.factories.articles import ArticleFactory, StaffUserFactory
    from tests.reviews.conftest import make_snapshot

    snapshot = make_snapshot()
    revision = ArticleRevision.objects.create(
        article=ArticleFactory(),
        number=1,
        snapshot=snapshot,
        content_hash=content_hash(snapshot),
        created_by=StaffUserFactory(),
        byline_user_ids=[reviewer.user.pk],
    )
    refused = refusal(revision, reviewer)
    assert (refused.code, refused.message) == (
        "separation_of_duties",
        "You were credited as an author of this article when this revision was made; an "
        "author cannot review it.",
    )


def test_a_physician_credited_as_author_now_is_told_why(revision, reviewer):
    from tests.factories.articles import ContributorFactory

    revision.article.authors.add(ContributorFactory(user=reviewer.user))
    refused = refusal(revision, reviewer)
    assert (refused.code, refused.message) == (
        "separation_of_duties",
        "You are credited as an author of this article; an author cannot review it.",
    )


def test_an_earlier_edit_counts_until_this_articles_own_next_approval_not_another_articles(
    reviewer,
):
    """The physician made revision 1 of this page; another page's approved revision 1 does not
    make that edit "before the last approval"."""
    from tests.factories.workflow import sign
    from tests.reviews.conftest import make_revision

    sign(make_revision())  # another article: revision 1, approved by another physician
    first = make_revision(user=reviewer.user)
    second = make_revision(first.article)  # made by an editor
    refused = refusal(second, reviewer)
    assert (refused.code, refused.message) == (
        "separation_of_duties",
        "You edited this article since its last approved revision; a reviewer cannot sign "
        "content they changed.",
    )
