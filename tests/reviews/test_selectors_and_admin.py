"""Selectors (constant query counts) and the read-only admin."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from reviews import selectors
from reviews.models import AuditEvent, ReminderLog, ReviewerProfile, SignOff
from reviews.services import review_request_create, signoff_create
from tests.factories.articles import EditorFactory
from tests.factories.reviews import PASSWORD, AdminUserFactory, ReviewerProfileFactory
from tests.reviews.conftest import make_revision

pytestmark = pytest.mark.django_db


def sign(revision, reviewer, decision="approved"):
    return signoff_create(
        revision=revision, user=reviewer.user, password=PASSWORD, decision=decision, attested=True
    )


@pytest.fixture
def reviewer():
    return ReviewerProfileFactory()


def test_approved_signoff_for_is_the_latest_approval(reviewer, django_assert_num_queries):
    revision = make_revision()
    sign(revision, reviewer)
    latest = sign(revision, reviewer)
    sign(revision, reviewer, decision="changes_requested")
    with django_assert_num_queries(1):
        found = selectors.approved_signoff_for(revision)
        assert found.reviewer.printed_name == reviewer.printed_name
    assert found == latest


def test_approved_signoff_for_ignores_a_signature_on_other_content(reviewer):
    revision = make_revision()
    sign(revision, reviewer)
    revision.content_hash = "0" * 64  # what the revision would claim after tampering
    assert selectors.approved_signoff_for(revision) is None


def test_unapproved_revision_has_no_approval(reviewer):
    revision = make_revision()
    sign(revision, reviewer, decision="changes_requested")
    assert selectors.approved_signoff_for(revision) is None


def test_latest_approval_for_revisions_is_one_query_whatever_the_count(
    reviewer, django_assert_num_queries
):
    revisions = [make_revision() for _ in range(4)]
    for revision in revisions[:3]:
        sign(revision, reviewer)
    newest = sign(revisions[0], reviewer)
    sign(revisions[1], reviewer, decision="changes_requested")
    with django_assert_num_queries(1):
        approvals = selectors.latest_approval_for_revisions(r.pk for r in revisions)
        names = {pk: s.reviewer.printed_name for pk, s in approvals.items()}
    assert set(approvals) == {r.pk for r in revisions[:3]}
    assert approvals[revisions[0].pk] == newest
    assert names[revisions[2].pk] == reviewer.printed_name
    assert selectors.latest_approval_for_revisions([]) == {}


def test_review_queue_lists_open_requests_oldest_first_in_one_query(
    reviewer, django_assert_num_queries
):
    first, second, done = (make_revision() for _ in range(3))
    editor = EditorFactory()
    for revision in (first, second, done):
        review_request_create(revision=revision, user=editor)
    sign(done, reviewer)
    with django_assert_num_queries(1):
        queue = [
            (r.revision.article.title, r.submitted_by.username) for r in selectors.review_queue()
        ]
    assert queue == [
        (first.article.title, editor.username),
        (second.article.title, editor.username),
    ]


def test_signoffs_for_article_is_its_history_newest_first(reviewer):
    first = make_revision()
    second = make_revision(first.article)
    a = sign(first, reviewer)
    b = sign(second, reviewer, decision="changes_requested")
    c = sign(second, reviewer)
    sign(make_revision(), reviewer)  # another article
    assert list(selectors.signoffs_for_article(first.article_id)) == [c, b, a]
    assert list(selectors.signoffs_for_article(first.article_id).approvals()) == [c, a]
    assert selectors.last_approval_for_article(first.article_id) == c


# --- Admin --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [SignOff, AuditEvent, ReminderLog])
def test_evidence_is_read_only_even_for_superusers(model):
    request = RequestFactory().get("/")
    request.user = AdminUserFactory()
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_sign_revision_permission_exists():
    from django.contrib.auth.models import Permission

    assert Permission.objects.filter(
        content_type__app_label="reviews", codename="sign_revision"
    ).exists()


def test_signoff_pages_render_read_only(client, reviewer):
    signoff = sign(make_revision(), reviewer)
    client.force_login(AdminUserFactory())
    changelist = client.get(reverse("admin:reviews_signoff_changelist"))
    assert changelist.status_code == 200
    assert reviewer.printed_name in changelist.text
    detail = client.get(reverse("admin:reviews_signoff_change", args=[signoff.pk]))
    assert detail.status_code == 200
    assert signoff.record_hash in detail.text
    assert 'name="_save"' not in detail.text
    audit = client.get(reverse("admin:reviews_auditevent_changelist") + "?action__exact=approved")
    assert audit.status_code == 200


def test_verify_action_goes_through_the_service(client):
    pending = ReviewerProfileFactory(unverified=True)
    admin_user = AdminUserFactory()
    own = ReviewerProfileFactory(user=admin_user, unverified=True)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:reviews_reviewerprofile_changelist"),
        {"action": "verify_credentials", "_selected_action": [pending.pk, own.pk]},
        follow=True,
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    own.refresh_from_db()
    assert pending.verified_by == admin_user
    assert not own.is_verified  # nobody verifies their own profile
    assert "cannot verify your own" in response.text


def test_reviewer_list_filters_render(client):
    ReviewerProfileFactory(licence_expires_on=timezone.localdate().replace(year=2000))
    client.force_login(AdminUserFactory())
    url = reverse("admin:reviews_reviewerprofile_changelist")
    for query in ("?verified=yes", "?verified=no", "?licence=expired", "?licence=valid"):
        assert client.get(url + query).status_code == 200
    expired = client.get(url + "?licence=expired")
    assert ReviewerProfile.objects.licence_expired(timezone.localdate()).count() == 1
    assert "1 reviewer profile" in expired.text
