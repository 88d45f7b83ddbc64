"""Selectors (constant query counts) and the read-only admin."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from reviews import selectors
from reviews.models import AuditEvent, ReminderLog, SignOff
from reviews.services import review_request_create, reviewer_revoke, signoff_create
from tests.factories.articles import EditorFactory
from tests.factories.reviews import (
    PASSWORD,
    AdminUserFactory,
    ReviewerProfileFactory,
    UserFactory,
)
from tests.reviews.conftest import make_revision
from tests.tamper import tamper

pytestmark = pytest.mark.django_db


def sign(revision, reviewer, decision="approved"):
    return signoff_create(
        revision=revision,
        user=reviewer.user,
        password=PASSWORD,
        decision=decision,
        attested=True,
        expected_hash=revision.content_hash,
        comment="" if decision == "approved" else "Cite the dose.",
    )


@pytest.fixture
def reviewer():
    return ReviewerProfileFactory()


def test_the_approval_in_force_is_the_newest_approval(reviewer, django_assert_num_queries):
    revision = make_revision()
    sign(revision, reviewer)
    latest = sign(revision, reviewer)
    with django_assert_num_queries(1):
        found = selectors.approval_in_force(revision)
        assert found.reviewer.printed_name == reviewer.printed_name
    assert found == latest


def test_a_later_request_for_changes_takes_the_approval_back(reviewer):
    """The newest decision wins: another physician's "changes requested" ends the approval."""
    revision = make_revision()
    sign(revision, reviewer)
    sign(revision, ReviewerProfileFactory(), decision="changes_requested")
    assert selectors.approval_in_force(revision) is None
    assert not SignOff.objects.in_force().exists()
    assert SignOff.objects.valid_approvals().count() == 1  # history keeps the approval
    renewed = sign(revision, reviewer)
    assert selectors.approval_in_force(revision) == renewed


@pytest.mark.django_db(transaction=True)
def test_an_approval_of_other_content_is_not_in_force(reviewer):
    revision = make_revision()
    sign(revision, reviewer)
    # What the revision would claim after tampering: another hash than the one signed.
    tamper(
        "UPDATE articles_articlerevision SET content_hash = %s WHERE id = %s",
        ["0" * 64, revision.pk],
    )
    assert selectors.approval_in_force(revision) is None
    assert not SignOff.objects.valid_approvals().exists()


def test_an_approval_by_a_revoked_physician_is_not_in_force(reviewer):
    revision = make_revision()
    sign(revision, reviewer)
    reviewer_revoke(profile=reviewer, admin_user=AdminUserFactory(), reason="Licence suspended.")
    assert selectors.approval_in_force(revision) is None
    assert not SignOff.objects.valid_approvals().exists()


def test_a_request_for_changes_alone_is_no_approval(reviewer):
    revision = make_revision()
    sign(revision, reviewer, decision="changes_requested")
    assert selectors.approval_in_force(revision) is None


def test_approvals_in_force_for_many_revisions_is_one_query(reviewer, django_assert_num_queries):
    revisions = [make_revision() for _ in range(4)]
    for revision in revisions[:3]:
        sign(revision, reviewer)
    newest = sign(revisions[0], reviewer)
    sign(revisions[1], reviewer, decision="changes_requested")
    with django_assert_num_queries(1):
        approvals = selectors.approvals_in_force_for_revisions(r.pk for r in revisions)
        names = {pk: s.reviewer.printed_name for pk, s in approvals.items()}
    assert set(approvals) == {revisions[0].pk, revisions[2].pk}
    assert approvals[revisions[0].pk] == newest
    assert names[revisions[2].pk] == reviewer.printed_name
    assert selectors.approvals_in_force_for_revisions([]) == {}


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
    assert list(selectors.signoffs_for_article(first.article_id).valid_approvals()) == [c, a]
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
    sign(make_revision(), reviewer, decision="changes_requested")  # not listed under "approved"
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
    assert [(e.action, e.revision_id) for e in audit.context["cl"].result_list] == [
        ("approved", signoff.revision_id)
    ]


def test_verifying_in_the_admin_records_evidence_through_the_service(client):
    pending = ReviewerProfileFactory(unverified=True)
    admin_user = AdminUserFactory()
    client.force_login(admin_user)
    url = reverse("admin:reviews_reviewerprofile_verify", args=[pending.pk])
    form = client.get(url)
    assert form.status_code == 200 and "How you checked" in form.text
    blank = client.post(url, {"evidence": "", "checked_on": ""})
    assert blank.status_code == 200 and "This field is required" in blank.text
    response = client.post(
        url,
        {"evidence": "Board lookup: active.", "checked_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.verified_by == admin_user and pending.is_verified
    assert pending.verification_evidence == "Board lookup: active."


def test_the_admin_refuses_to_verify_ones_own_profile_with_a_message(client):
    own = ReviewerProfileFactory(unverified=True)
    own.user.is_staff = True
    own.user.save()
    own.user.user_permissions.add(Permission.objects.get(codename="verify_reviewerprofile"))
    client.force_login(own.user)
    response = client.post(
        reverse("admin:reviews_reviewerprofile_verify", args=[own.pk]),
        {"evidence": "Me.", "checked_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "cannot verify your own" in response.text
    own.refresh_from_db()
    assert not own.is_verified


def test_the_admin_shows_a_profiles_login_read_only_and_ignores_a_posted_one(client):
    profile = ReviewerProfileFactory()
    admin_user = AdminUserFactory()
    client.force_login(admin_user)
    url = reverse("admin:reviews_reviewerprofile_change", args=[profile.pk])
    page = client.get(url)
    assert 'name="user"' not in page.text
    intruder = UserFactory()
    data = {
        "user": intruder.pk,
        "printed_name": profile.printed_name,
        "credentials": profile.credentials,
        "specialty": profile.specialty,
        "licence_number": profile.licence_number,
        "licensing_body": profile.licensing_body,
        "licence_expires_on": profile.licence_expires_on.isoformat(),
        "npi": "",
        "slug": profile.slug,
        "bio": "",
    }
    assert client.post(url, data).status_code == 302
    profile.refresh_from_db()
    assert profile.user_id != intruder.pk and profile.is_verified


def test_revoking_in_the_admin_needs_a_reason(client):
    profile = ReviewerProfileFactory()
    client.force_login(AdminUserFactory())
    url = reverse("admin:reviews_reviewerprofile_revoke", args=[profile.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    profile.refresh_from_db()
    assert not profile.is_revoked
    client.post(url, {"reason": "Licence suspended by the board."})
    profile.refresh_from_db()
    assert profile.is_revoked and not profile.is_verified


def test_reviewer_list_filters_show_the_matching_profiles(client):
    ReviewerProfileFactory(
        printed_name="Ex Pired", licence_expires_on=timezone.localdate().replace(year=2000)
    )
    ReviewerProfileFactory(printed_name="Val Id")
    ReviewerProfileFactory(printed_name="Pen Ding", unverified=True)
    client.force_login(AdminUserFactory())
    url = reverse("admin:reviews_reviewerprofile_changelist")

    def listed(query):
        """The printed names in the change list's result rows (not the sidebar's words)."""
        response = client.get(url + query)
        assert response.status_code == 200
        return {profile.printed_name for profile in response.context["cl"].result_list}

    assert listed("") == {"Ex Pired", "Val Id", "Pen Ding"}
    assert listed("?licence=expired") == {"Ex Pired"}
    assert listed("?licence=valid") == {"Val Id", "Pen Ding"}
    assert listed("?verified=yes") == {"Ex Pired", "Val Id"}
    assert listed("?verified=no") == {"Pen Ding"}
