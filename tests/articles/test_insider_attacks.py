"""
The insider attacks of the trust issue, one test each: every one of them worked before the
approval in force, bound identities and revision-bound separation of duties existed.

Tried as a site admin, a superuser, an editor and a physician would, through the services the
admin calls (and through HTTP where a page is what matters).
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from articles.content.services import article_update, revision_create, topic_save
from articles.models import ScheduledPublication, Topic
from articles.publishing.workflow import (
    PublishRefused,
    article_publish,
    article_schedule_publication,
    publish_due_scheduled,
)
from reviews.models import AuditEvent, ReviewRequest, SignOff
from reviews.services import (
    SignOffRefused,
    reviewer_profile_save,
    reviewer_revoke,
    signoff_create,
)
from tests.factories.articles import (
    ArticleFactory,
    ContributorFactory,
    EditorFactory,
    TopicFactory,
)
from tests.factories.reviews import PASSWORD, AdminUserFactory, ReviewerProfileFactory
from tests.factories.workflow import approved_revision, sign

pytestmark = pytest.mark.django_db


def stamp_status(client, article) -> tuple[int, str | None, str]:
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    marker = 'class="review-stamp" data-review-status="'
    status = html.split(marker, 1)[1].split('"', 1)[0] if marker in html else None
    return response.status_code, status, html


def test_a_site_admin_cannot_sign_as_a_physician_by_repointing_her_profile():
    """Point Dr. Roe's verified profile at one's own login, then sign with one's password."""
    roe = ReviewerProfileFactory(printed_name="Jane Roe", credentials="MD")
    admin_user = AdminUserFactory()
    roe.user = admin_user
    with pytest.raises(ValidationError):
        reviewer_profile_save(profile=roe, actor=admin_user)
    roe.refresh_from_db()
    assert roe.user != admin_user
    revision = revision_create(article=ArticleFactory(), user=EditorFactory())
    with pytest.raises(SignOffRefused) as info:
        signoff_create(
            revision=revision,
            user=admin_user,
            password=PASSWORD,
            decision="approved",
            attested=True,
            expected_hash=revision.content_hash,
        )
    assert info.value.code == "no_profile"
    assert not SignOff.objects.exists()


def test_a_later_request_for_changes_stops_publishing_the_approved_revision(client):
    article = ArticleFactory()
    editor = EditorFactory()
    revision = approved_revision(article, editor=editor)
    sign(revision, decision="changes_requested", comment="The dose is wrong.")
    with pytest.raises(PublishRefused) as info:
        article_publish(article=article, revision=revision, user=editor)
    assert info.value.code == "changes_requested"
    article.refresh_from_db()
    assert article.live_revision is None
    assert client.get(article.get_absolute_url()).status_code == 404


def test_a_later_request_for_changes_cancels_the_scheduled_publication():
    article = ArticleFactory()
    editor = EditorFactory()
    revision = approved_revision(article, editor=editor)
    article_schedule_publication(
        article=article,
        revision=revision,
        user=editor,
        publish_at=timezone.now() + timedelta(hours=2),
    )
    sign(revision, decision="changes_requested", comment="Outdated guidance.")
    assert not ScheduledPublication.objects.exists()
    assert publish_due_scheduled(now=timezone.now() + timedelta(hours=3)) == []
    article.refresh_from_db()
    assert article.live_revision is None


def test_a_live_page_whose_re_review_asked_for_changes_loses_its_current_stamp(client):
    article = ArticleFactory(live=True)
    assert stamp_status(client, article)[1] == "current"
    asked = sign(article.live_revision, decision="changes_requested", comment="New evidence.")
    code, status, html = stamp_status(client, article)
    assert code == 200 and status is None
    assert "Medically reviewed by" not in html
    assert "A physician asked for changes to this page on" in html
    assert asked.signed_at.strftime("%-d %B %Y") in html
    assert AuditEvent.objects.filter(action="approval_superseded", article=article).exists()


def test_with_the_withdraw_setting_a_page_whose_approval_was_taken_back_goes(client, settings):
    settings.REVIEW_WITHDRAW_OVERDUE = True
    article = ArticleFactory(live=True)
    sign(article.live_revision, decision="changes_requested", comment="Unsafe advice.")
    assert client.get(article.get_absolute_url()).status_code == 404
    assert article.title not in client.get(reverse("articles:home")).content.decode()
    assert article.get_absolute_url() not in client.get(reverse("sitemap")).content.decode()


@pytest.mark.parametrize("standing", ["unverified", "deactivated"])
def test_an_approval_is_not_publishable_once_its_signer_lost_good_standing(standing):
    article = ArticleFactory()
    editor = EditorFactory()
    physician = ReviewerProfileFactory()
    revision = approved_revision(article, editor=editor, reviewer=physician)
    if standing == "unverified":
        physician.licence_number = "NEW-1"  # a credential change withdraws the verification
        reviewer_profile_save(profile=physician, actor=AdminUserFactory())
    else:
        physician.user.is_active = False
        physician.user.save()
    with pytest.raises(PublishRefused) as info:
        article_publish(article=article, revision=revision, user=editor)
    assert info.value.code == "signer_not_in_good_standing"


def test_revoking_a_physician_for_cause_takes_her_stamps_off_and_opens_reviews(client):
    physician = ReviewerProfileFactory()
    article = ArticleFactory(live=True)
    sign(article.live_revision, reviewer=physician)  # a re-review: her approval is in force
    other = ArticleFactory(live=True)  # approved by someone else
    reviewer_revoke(profile=physician, admin_user=AdminUserFactory(), reason="Licence suspended.")
    code, status, html = stamp_status(client, article)
    assert code == 200 and status is None and "Medical review no longer in force" in html
    assert stamp_status(client, other)[1] == "current"
    request = ReviewRequest.objects.get(state="open")
    assert request.revision == article.live_revision
    reviewer_page = client.get(physician.get_absolute_url())
    assert reviewer_page.status_code == 404  # no longer presented as a reviewer


def test_an_author_taken_off_the_byline_to_sign_is_still_refused():
    physician = ReviewerProfileFactory()
    author = ContributorFactory(user=physician.user)
    article = ArticleFactory(authors=[author])
    revision = revision_create(article=article, user=EditorFactory())
    assert revision.byline_user_ids == [physician.user_id]
    article.authors.set([])  # removed from the byline ...
    with pytest.raises(SignOffRefused) as info:
        sign(revision, reviewer=physician)
    assert info.value.code == "separation_of_duties"
    assert "when this revision was made" in info.value.message
    article.authors.set([author])  # ... and put back: nothing was signed meanwhile
    assert not SignOff.objects.exists()


def test_an_editor_whose_draft_edit_someone_else_turned_into_a_revision_cannot_approve_it():
    physician = ReviewerProfileFactory()
    physician.user.is_staff = True
    physician.user.save()
    article = ArticleFactory()
    article_update(
        article=article, data={"body": "<p>My edit.</p>"}, expected_version=1, user=physician.user
    )
    revision = revision_create(article=article, user=EditorFactory())
    assert physician.user_id in revision.editor_ids
    with pytest.raises(SignOffRefused) as info:
        sign(revision, reviewer=physician)
    assert info.value.code == "separation_of_duties"


@pytest.mark.django_db(transaction=True)
def test_separation_of_duties_is_checked_again_when_publishing():
    """An approval by someone who (per the revision's record) edited it is never published."""
    physician = ReviewerProfileFactory()
    editor = EditorFactory()
    article = ArticleFactory()
    revision = approved_revision(article, editor=editor, reviewer=physician)
    # Someone with database access adds the physician to the revision's editors.
    from tests.tamper import tamper

    tamper(
        "UPDATE articles_articlerevision SET editor_ids = %s WHERE id = %s",
        [f"[{editor.pk}, {physician.user_id}]", revision.pk],
    )
    with pytest.raises(PublishRefused) as info:
        article_publish(article=article, revision=revision, user=editor)
    assert info.value.code == "separation_of_duties"


def test_editors_cannot_lengthen_a_review_interval_and_admins_only_within_range():
    topic = TopicFactory()
    editor = EditorFactory()
    topic.review_interval_days = 1095
    with pytest.raises(ValidationError) as info:
        topic_save(topic=topic, user=editor)
    assert "site administrators" in str(info.value)
    topic.refresh_from_db()
    assert topic.review_interval_days is None
    admin_user = AdminUserFactory()
    topic.review_interval_days = 2_000_000_000
    with pytest.raises(ValidationError):
        topic_save(topic=topic, user=admin_user)
    topic.review_interval_days = 180
    topic_save(topic=topic, user=admin_user)
    event = AuditEvent.objects.get(action="policy_changed")
    assert event.actor == admin_user and event.data == {
        "topic_id": topic.pk,
        "before": None,
        "after": 180,
    }


def test_the_database_refuses_an_out_of_range_review_interval():
    topic = TopicFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(review_interval_days=2_000_000_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(review_interval_days=7)


def test_an_editor_cannot_untick_the_needs_review_flag_of_a_retraction():
    article = ArticleFactory(live=True)
    editor = EditorFactory()
    article_update(
        article=article,
        data={"needs_review": True, "needs_review_reason": "Cited paper 123 was retracted."},
        expected_version=article.version,
        user=editor,
    )
    article.refresh_from_db()
    with pytest.raises(ValidationError) as info:
        article_update(
            article=article,
            data={"needs_review": False, "needs_review_reason": ""},
            expected_version=article.version,
            user=editor,
        )
    assert "needs_review" in info.value.message_dict
    article.refresh_from_db()
    assert article.needs_review and "retracted" in article.needs_review_reason
    # A new physician approval, once published, clears it.
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        revision = approved_revision(article, editor=editor)
        article_publish(article=article, revision=revision, user=editor)
    article.refresh_from_db()
    assert not article.needs_review


def test_the_topic_admin_shows_the_interval_read_only_to_editors(client):
    topic = TopicFactory()
    client.force_login(EditorFactory())
    page = client.get(reverse("admin:articles_topic_change", args=[topic.pk])).content.decode()
    assert 'name="review_interval_days"' not in page


def test_a_forged_interval_post_by_an_editor_changes_nothing(client):
    topic = TopicFactory()
    client.force_login(EditorFactory())
    client.post(
        reverse("admin:articles_topic_change", args=[topic.pk]),
        {
            "name": topic.name,
            "slug": topic.slug,
            "description": "",
            "review_interval_days": "1095",
        },
    )
    topic.refresh_from_db()
    assert topic.review_interval_days is None



# --- Found by an adversarial review --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_forged_approval_row_never_reaches_the_public_even_with_a_live_pointer(client):
    """Rows inserted in SQL, correctly chained but without the site's key, publish nothing."""
    from articles.publishing.models import Publication
    from tests.tamper import forge_signoff, tamper

    article = ArticleFactory(live=True)
    head = SignOff.objects.order_by("-pk").first()
    unsigned = revision_create(article=article, user=EditorFactory())
    forge_signoff(after=head, revision=unsigned)
    tamper(
        "UPDATE articles_article SET live_revision_id = %s WHERE id = %s",
        [unsigned.pk, article.pk],
    )
    # Any later change that re-derives the record (here a new topic) reads the forged rows.
    article.topics.add(TopicFactory())
    assert not Publication.objects.filter(article=article).exists()
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(reverse("articles:review_json", args=[article.slug])).status_code == 404
    assert AuditEvent.objects.filter(action="tamper_detected", article=article).exists()


@pytest.mark.django_db(transaction=True)
def test_a_profile_re_pointed_in_sql_cannot_sign_and_is_named():
    from io import StringIO

    from django.core.management import CommandError, call_command

    from tests.factories.reviews import UserFactory
    from tests.tamper import forge_signoff, tamper

    roe = ReviewerProfileFactory(printed_name="Jane Roe", credentials="MD")
    sign(revision_create(article=ArticleFactory(), user=EditorFactory()), reviewer=roe)
    mallory = UserFactory()
    tamper("UPDATE reviews_reviewerprofile SET user_id = %s WHERE id = %s", [mallory.pk, roe.pk])
    roe.refresh_from_db()
    revision = revision_create(article=ArticleFactory(), user=EditorFactory())
    with pytest.raises(SignOffRefused) as info:
        sign(revision, reviewer=roe)
    assert info.value.code == "identity"
    assert info.value.message == (
        "This reviewer profile has signed with another login before; nothing can be signed "
        "with it until a site administrator investigates."
    )
    assert SignOff.objects.filter(reviewer=roe).count() == 1
    # Nothing was signed with the other login: the records pass.
    out = StringIO()
    call_command("verify_signoffs", stdout=out, stderr=out)
    assert "1 sign-off(s) verified" in out.getvalue()
    # Had a signature gone through before the check existed, verify_signoffs names it.
    head = SignOff.objects.get(reviewer=roe)
    forge_signoff(after=head, revision=revision, signer=mallory)
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_signoffs", stdout=StringIO(), stderr=errors)
    assert f"signed by login {mallory.pk}" in errors.getvalue()
    assert "re-pointed to another login" in errors.getvalue()
    tamper("UPDATE reviews_reviewerprofile SET user_id = %s WHERE id = %s", [roe.user_id, roe.pk])


def test_the_database_refuses_deleting_a_profile_or_undoing_a_revocation():
    from django.db import connection

    physician = ReviewerProfileFactory()
    reviewer_revoke(profile=physician, admin_user=AdminUserFactory(), reason="Suspended.")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reviews_reviewerprofile WHERE id = %s", [physician.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reviews_reviewerprofile SET revoked_at = NULL, revoked_by_id = NULL, "
            "revocation_reason = '' WHERE id = %s",
            [physician.pk],
        )
    physician.refresh_from_db()
    assert physician.is_revoked


def test_sqlite_insert_or_replace_cannot_rewrite_a_sign_off():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's; PostgreSQL has none")
    revision = revision_create(article=ArticleFactory(), user=EditorFactory())
    asked = sign(revision, decision="changes_requested", comment="Wrong dose.")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT OR REPLACE INTO reviews_signoff SELECT * FROM reviews_signoff WHERE id = %s",
            [asked.pk],
        )
    assert SignOff.objects.get(pk=asked.pk).decision == "changes_requested"


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_cannot_slip_past_the_signing_lockout():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        # SQLite runs one writer at a time (IMMEDIATE transactions), and the test database in
        # memory cannot be shared between threads; the race exists on PostgreSQL.
        pytest.skip("concurrent signing attempts need PostgreSQL")

    physician = ReviewerProfileFactory()
    revision = revision_create(article=ArticleFactory(), user=EditorFactory())

    def attempt(_):
        try:
            signoff_create(
                revision=revision,
                user=physician.user,
                password="not the password",
                decision="approved",
                attested=True,
                expected_hash=revision.content_hash,
            )
        except SignOffRefused as refusal:
            return refusal.code
        finally:
            connections.close_all()
        return "signed"

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(40)))
    assert codes.count("wrong_password") == 5
    assert codes.count("locked") == 35
    assert not SignOff.objects.exists()


def test_an_authors_login_link_is_fixed_once_set_in_the_admin(client):
    physician = ReviewerProfileFactory()
    author = ContributorFactory(user=physician.user)
    client.force_login(EditorFactory())
    url = reverse("admin:articles_contributor_change", args=[author.pk])
    assert 'name="user"' not in client.get(url).text
    client.post(
        url, {"name": author.name, "slug": author.slug, "credentials": "", "bio": "", "user": ""}
    )
    author.refresh_from_db()
    assert author.user_id == physician.user_id


def test_a_superuser_cannot_set_a_physicians_password_in_the_admin(client):
    physician = ReviewerProfileFactory()
    admin_user = AdminUserFactory()
    client.force_login(admin_user)
    url = reverse("admin:auth_user_password_change", args=[physician.user.pk])
    response = client.post(url, {"password1": "new-pass-1234!", "password2": "new-pass-1234!"})
    assert response.status_code == 403
    physician.user.refresh_from_db()
    assert physician.user.check_password(PASSWORD)
    page = client.get(reverse("admin:auth_user_change", args=[physician.user.pk])).text
    assert 'name="username"' not in page and 'name="email"' not in page
    # An ordinary staff login's password can still be reset by an administrator.
    editor = EditorFactory()
    assert client.get(
        reverse("admin:auth_user_password_change", args=[editor.pk])
    ).status_code == 200
