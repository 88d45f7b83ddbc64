"""
Review policies (issue 12, part 6): a topic may require two approvals, one of them from a given
specialty. The review request stays open until the policy is met (the next physicians are
asked), one physician counts once, the page goes live only when the policy is met, and the
stamp, the JSON-LD and the cards name every reviewer. Only site administrators set a topic's
policy, and every change is audited.
"""

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from lxml import html as lxml_html

from articles.content.services import topic_save
from articles.publishing.models import Publication
from articles.publishing.publication import compute_seal
from articles.publishing.workflow import (
    PublishRefused,
    article_publish,
    article_submit_for_review,
)
from reviews.approvals import ApprovalPolicy
from reviews.models import AuditEvent, ReviewRequest
from reviews.services import SignOffRefused
from tests.factories.articles import ArticleFactory, EditorFactory, TopicFactory
from tests.factories.reviews import AdminUserFactory, ReviewerProfileFactory
from tests.factories.workflow import sign

pytestmark = pytest.mark.django_db


# --- The policy itself -----------------------------------------------------------------------


def test_a_pages_policy_is_the_strictest_of_its_topics():
    combined = ApprovalPolicy.combine(
        [ApprovalPolicy(2), ApprovalPolicy(1, ("Cardiology",)), ApprovalPolicy(1, ("cardiology",))]
    )
    assert combined == ApprovalPolicy(2, ("Cardiology",))
    assert ApprovalPolicy.combine([]) == ApprovalPolicy(1, ())
    # Two specialties need two physicians even when one approval is asked for.
    assert ApprovalPolicy(1, ("Cardiology", "Neurology")).needed == 2


def test_what_is_still_needed_is_said_plainly():
    policy = ApprovalPolicy(2, ("Cardiology",))
    assert policy.describe() == "Two physicians must approve, including one in Cardiology."
    pain = [(1, "Pain medicine")]
    assert policy.unmet(pain) == (
        "Two physicians must approve, including one in Cardiology. Still needed: an approval "
        "by a physician in Cardiology."
    )
    # Two pain physicians are two approvals, but not the cardiologist's.
    assert "in Cardiology" in policy.unmet([(1, "Pain medicine"), (2, "Pain medicine")])
    # The same physician twice counts once.
    assert (
        ApprovalPolicy(2)
        .unmet([(1, "X"), (1, "X")])
        .endswith("Still needed: one more approval by another physician.")
    )
    assert policy.unmet([(1, "Pain medicine"), (2, "cardiology ")]) is None
    assert ApprovalPolicy().unmet([(1, "")]) is None
    assert ApprovalPolicy().unmet([]) is not None


# --- Who sets it -----------------------------------------------------------------------------


def test_only_site_administrators_set_a_topics_policy_and_it_is_audited():
    call_command("setup_site", stdout=io.StringIO())
    topic = TopicFactory()
    editor = EditorFactory()
    editor.groups.add(Group.objects.get(name="Editors"))
    topic.approvals_required = 1  # unchanged: saving is fine
    topic_save(topic=topic, user=editor)
    topic.approvals_required = 2
    with pytest.raises(ValidationError) as refused:
        topic_save(topic=topic, user=editor)
    assert "number of approvals required" in str(refused.value)
    admin = AdminUserFactory()
    topic_save(topic=topic, user=admin)
    topic.specialty_required = "Cardiology"
    topic_save(topic=topic, user=admin)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.POLICY_CHANGED).order_by("pk")
    assert [e.data for e in events] == [
        {"topic_id": topic.pk, "field": "approvals_required", "before": 1, "after": 2},
        {"topic_id": topic.pk, "field": "specialty_required", "before": "", "after": "Cardiology"},
    ]


# --- Signing, publishing and the public page -------------------------------------------------


@pytest.fixture
def cardiology_page(django_capture_on_commit_callbacks):
    topic = TopicFactory(name="Heart pain", approvals_required=2, specialty_required="Cardiology")
    article = ArticleFactory(title="Chest pain", topics=[topic])
    editor = EditorFactory()
    request = article_submit_for_review(article=article, user=editor)
    return article, request.revision, editor


def physician(name, specialty):
    return ReviewerProfileFactory(
        printed_name=name, specialty=specialty, user__email=f"{name.split()[0].lower()}@x.test"
    )


def test_the_page_goes_live_only_when_two_physicians_one_a_cardiologist_approved(
    cardiology_page, django_capture_on_commit_callbacks
):
    approve_and_publish(cardiology_page, django_capture_on_commit_callbacks)


def approve_and_publish(cardiology_page, django_capture_on_commit_callbacks):
    """Ann and Ben (pain) approve, then Cy (cardiology): refused until Cy; then published."""
    article, revision, editor = cardiology_page
    ann, ben = physician("Ann Pain", "Pain medicine"), physician("Ben Pain", "Pain medicine")
    cy = physician("Cy Heart", "Cardiology")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sign(revision, reviewer=ann)
    # The request stays open and passes to the cardiologists, who are asked.
    request = ReviewRequest.objects.get(revision=revision)
    assert (request.state, request.assignee, request.pool) == ("open", None, "Cardiology")
    [asked] = [m for m in mail.outbox if m.subject.startswith("Another approval needed")]
    assert asked.to == ["cy@x.test"]
    with pytest.raises(PublishRefused, match="Still needed: an approval by a physician in "):
        article_publish(article=article, revision=revision, user=editor)
    with pytest.raises(SignOffRefused) as again:
        sign(revision, reviewer=ann)
    assert again.value.code == "already_approved"
    assert again.value.message == (
        "You have already approved this revision; nothing was signed. Its approval policy needs "
        "another physician: Two physicians must approve, including one in Cardiology."
    )

    sign(revision, reviewer=ben)  # two approvals, but no cardiologist's
    with pytest.raises(PublishRefused, match="in Cardiology"):
        article_publish(article=article, revision=revision, user=editor)

    sign(revision, reviewer=cy)
    request.refresh_from_db()
    assert request.state == ReviewRequest.State.APPROVED
    article_publish(article=article, revision=revision, user=editor)

    record = Publication.objects.get(article=article)
    assert [other["name"] for other in record.co_reviewers] == ["Ben Pain", "Ann Pain"]
    return article


def test_the_stamp_json_ld_and_cards_name_every_reviewer(
    client, cardiology_page, django_capture_on_commit_callbacks
):
    article = approve_and_publish(cardiology_page, django_capture_on_commit_callbacks)
    page = client.get(reverse("articles:detail", args=[article.slug]))
    tree = lxml_html.fromstring(page.content)
    [stamp] = tree.find_class("review-stamp-signer")
    text = " ".join(stamp.text_content().split())
    assert text.startswith("Medically reviewed by Cy Heart, DO, Ben Pain, DO and Ann Pain, DO on ")
    [byline] = tree.find_class("byline-reviewer")
    assert " ".join(byline.text_content().split()) == (
        "Medically reviewed by Cy Heart, DO, Ben Pain, DO and Ann Pain, DO"
    )
    data = json.loads(tree.xpath('//script[@type="application/ld+json"]/text()')[0])
    page_ld = next(
        node for node in data.get("@graph", [data]) if node.get("@type") == "MedicalWebPage"
    )
    assert [person["name"] for person in page_ld["reviewedBy"]] == [
        "Cy Heart",
        "Ben Pain",
        "Ann Pain",
    ]
    home = client.get(reverse("articles:home")).content.decode()
    assert "Medically reviewed by Cy Heart, DO, Ben Pain, DO and Ann Pain, DO" in home


def test_changes_requested_by_one_takes_back_the_others_approvals(cardiology_page):
    article, revision, editor = cardiology_page
    ann, cy = physician("Ann Pain", "Pain medicine"), physician("Cy Heart", "Cardiology")
    sign(revision, reviewer=ann)
    sign(revision, reviewer=cy, decision="changes_requested", comment="Not for heart pain.")
    request = ReviewRequest.objects.get(revision=revision)
    assert request.state == ReviewRequest.State.CHANGES_REQUESTED
    with pytest.raises(PublishRefused):
        article_publish(article=article, revision=revision, user=editor)


def test_the_seal_covers_the_co_reviewers(cardiology_page, django_capture_on_commit_callbacks):
    article = approve_and_publish(cardiology_page, django_capture_on_commit_callbacks)
    record = Publication.objects.get(article=article)
    sealed = compute_seal(record)
    record.co_reviewers = record.co_reviewers[:1]
    assert compute_seal(record) != sealed


def test_a_single_approval_page_names_one_reviewer():
    article = ArticleFactory(live=True)
    record = Publication.objects.get(article=article)
    assert record.co_reviewers == []


def test_each_co_reviewer_is_named_once_with_the_signature_that_counts():
    """Re-approvals of the same revision (periodic re-reviews) do not repeat a name."""
    topic = TopicFactory(approvals_required=2)
    article = ArticleFactory(topics=[topic])
    editor = EditorFactory()
    revision = article_submit_for_review(article=article, user=editor).revision
    ann, ben, cy = (physician(n, "Pain medicine") for n in ("Ann A", "Ben B", "Cy C"))
    sign(revision, reviewer=ben)
    sign(revision, reviewer=ann)  # the policy is met
    article_submit_for_review(article=article, user=editor)  # a re-review, same revision
    ben_again = sign(revision, reviewer=ben)
    article_submit_for_review(article=article, user=editor)
    newest = sign(revision, reviewer=cy)
    ann_signoff = revision.signoffs.get(reviewer=ann)
    article_publish(article=article, revision=revision, user=editor)

    record = Publication.objects.get(article=article)
    assert record.signoff == newest
    assert record.co_reviewers == [
        {
            "signoff_id": signoff.pk,
            "name": signoff.printed_name,
            "credentials": "DO",
            "slug": signoff.reviewer.slug,
            "signed_at": signoff.signed_at.isoformat(),
        }
        for signoff in (ben_again, ann_signoff)
    ]


def test_a_co_reviewer_no_longer_verified_is_named_without_a_profile_link(
    client, cardiology_page, django_capture_on_commit_callbacks
):
    from articles.publishing.publication import publication_sync
    from reviews.models import ReviewerProfile

    article = approve_and_publish(cardiology_page, django_capture_on_commit_callbacks)
    ReviewerProfile.objects.filter(printed_name="Ben Pain").update(
        verified_at=None, verified_by=None
    )
    publication_sync(article=article)
    record = Publication.objects.get(article=article)
    assert [(c["name"], c["slug"]) for c in record.co_reviewers][0] == ("Ben Pain", "")
    page = lxml_html.fromstring(client.get(reverse("articles:detail", args=[article.slug])).content)
    [stamp] = page.find_class("review-stamp-signer")
    assert "Ben Pain, DO" in stamp.text_content()
    assert [a.text for a in stamp.xpath("a")] == ["Cy Heart, DO", "Ann Pain, DO"]


def test_an_approval_taken_back_by_a_later_request_for_changes_does_not_count(cardiology_page):
    """Ann approves, Cy asks for changes, Ben approves the same revision sent again: one stands."""
    article, revision, editor = cardiology_page
    ann, ben = physician("Ann Pain", "Pain medicine"), physician("Ben Pain", "Pain medicine")
    cy = physician("Cy Heart", "Cardiology")
    sign(revision, reviewer=ann)
    sign(revision, reviewer=cy, decision="changes_requested", comment="Not yet.")
    article_submit_for_review(article=article, user=editor)  # sent again, unchanged
    sign(revision, reviewer=ben)
    request = ReviewRequest.objects.get(revision=revision, state=ReviewRequest.State.OPEN)
    assert request.pool == "Cardiology"
    with pytest.raises(PublishRefused, match="Still needed: an approval by a physician in "):
        article_publish(article=article, revision=revision, user=editor)
    # Another page's later request for changes takes nothing back here.
    other = article_submit_for_review(article=ArticleFactory(), user=editor).revision
    sign(other, reviewer=ann, decision="changes_requested", comment="Elsewhere.")
    sign(revision, reviewer=cy)
    article_publish(article=article, revision=revision, user=editor)
    assert [c["name"] for c in Publication.objects.get(article=article).co_reviewers] == [
        "Ben Pain"
    ]


def test_a_policy_of_two_without_a_specialty_passes_to_every_physician_and_is_audited():
    topic = TopicFactory(approvals_required=2)
    article = ArticleFactory(topics=[topic])
    editor = EditorFactory()
    revision = article_submit_for_review(article=article, user=editor).revision
    ann = physician("Ann Pain", "Pain medicine")
    sign(revision, reviewer=ann)
    request = ReviewRequest.objects.get(revision=revision)
    assert (request.state, request.assignee, request.pool) == ("open", None, "")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.APPROVED).get()
    assert event.message.endswith(
        "Two physicians must approve. Still needed: one more approval by another physician."
    )


def test_a_physician_re_approves_a_page_sent_again_while_other_pages_wait():
    """Only this revision's open request, and only approvals of this revision, count."""
    editor = EditorFactory()
    ann = physician("Ann Pain", "Pain medicine")
    waiting = article_submit_for_review(article=ArticleFactory(), user=editor)  # older, open
    article = ArticleFactory()
    revision = article_submit_for_review(article=article, user=editor).revision
    sign(revision, reviewer=ann)
    article_submit_for_review(article=article, user=editor)  # a periodic re-review
    other = article_submit_for_review(article=ArticleFactory(), user=editor).revision
    sign(other, reviewer=ann)  # she approves a third page meanwhile
    again = sign(revision, reviewer=ann)
    assert again.revision == revision
    assert ReviewRequest.objects.get(pk=waiting.pk).state == ReviewRequest.State.OPEN
