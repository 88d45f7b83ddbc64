"""The admin home's "Your work" (issue 12): each person's work with counts and working links."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from articles.content.services import revision_create
from articles.public.models import ProblemReport
from articles.publishing.workflow import article_submit_for_review
from reviews.services import review_request_create, signoff_create
from tests.factories.articles import ArticleFactory, EditorFactory, StaffUserFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    call_command("setup_site", stdout=io.StringIO())


def member(user, group):
    user.groups.add(Group.objects.get(name=group))
    return user


def work(client, user) -> dict[str, tuple[int, str]]:
    client.force_login(user)
    html = client.get("/admin/").content.decode()
    rows = re.findall(
        r'<tr data-work="[^"]+">\s*<th scope="row"><a href="([^"]+)">([^<]+)</a></th>\s*'
        r'<td><strong class="work-count">(\d+)</strong>',
        html,
    )
    return {label: (int(count), url.replace("&amp;", "&")) for url, label, count in rows}


def decide(revision, physician, decision):
    return signoff_create(
        revision=revision,
        expected_hash=revision.content_hash,
        user=physician.user,
        password=PASSWORD,
        decision=decision,
        comment="Please cite it.",
        attested=True,
    )


def test_a_physician_sees_what_awaits_their_review_and_nothing_of_the_editors(site, client):
    physician = ReviewerProfileFactory(user__is_staff=True)
    member(physician.user, "Reviewers")
    editor = member(EditorFactory(), "Editors")
    article_submit_for_review(article=ArticleFactory(title="A"), user=editor)
    article_submit_for_review(article=ArticleFactory(title="B"), user=editor)
    # A page the physician edited: they may not sign it, so it is not their work.
    own = revision_create(article=ArticleFactory(title="Own"), user=physician.user)
    review_request_create(revision=own, user=editor)
    rows = work(client, physician.user)
    assert rows["Awaiting your review"][0] == 2
    assert rows["Due re-reviews"][0] == 0
    assert "Changes requested" not in rows and "Credentials expiring" not in rows
    for _, url in rows.values():
        assert client.get(url).status_code == 200


def test_an_editor_sees_changes_requested_approved_flagged_and_reader_reports(site, client):
    physician = ReviewerProfileFactory(user__is_staff=True)
    member(physician.user, "Reviewers")
    editor = member(EditorFactory(), "Editors")
    sent_back = article_submit_for_review(article=ArticleFactory(title="Back"), user=editor)
    decide(sent_back.revision, physician, "changes_requested")
    approved = article_submit_for_review(article=ArticleFactory(title="Ready"), user=editor)
    decide(approved.revision, physician, "approved")
    live = ArticleFactory(title="Live", live=True)
    ProblemReport.objects.create(article=live, revision=live.live_revision, message="Typo.")
    ArticleFactory(title="Flagged", needs_review=True, needs_review_reason="A source changed.")
    rows = work(client, editor)
    assert rows["Changes requested"][0] == 1
    assert rows["Approved, ready to publish"][0] == 1
    assert rows["Flagged for review"][0] == 1
    assert rows["Reader reports"][0] == 1
    assert "Awaiting your review" not in rows
    for label, (_, url) in rows.items():
        page = client.get(url)
        assert page.status_code == 200, label
    listed = client.get(rows["Changes requested"][1]).content.decode()
    assert "Back" in listed and ">Ready<" not in listed


def test_a_site_admin_sees_credentials_expiring(site, client):
    admin = member(StaffUserFactory(), "Site admins")
    soon = timezone.now().date() + timedelta(days=20)
    ReviewerProfileFactory(licence_expires_on=soon)
    ReviewerProfileFactory(licence_expires_on=soon + timedelta(days=400))
    rows = work(client, admin)
    assert rows["Credentials expiring"][0] == 1
    assert client.get(rows["Credentials expiring"][1]).status_code == 200
