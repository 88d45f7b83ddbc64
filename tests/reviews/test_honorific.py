"""
A reviewer's honorific ("Dr.", "Prof."; issue 13, part 5): printed before the name on the
stamp, taken into the sign-off's printed name at signing (the stamp comes from the
signature), and an identity field whose change needs verifying again.
"""

import json

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from reviews.models import AuditEvent, ReviewerProfile, SignOff
from reviews.services import reviewer_profile_save, reviewer_verify
from reviews.services.integrity import signoff_signature_holds
from tests.factories.articles import ArticleFactory, make_live
from tests.factories.reviews import AdminUserFactory, ReviewerProfileFactory
from tests.factories.workflow import sign

pytestmark = pytest.mark.django_db


def stamp_name(client, article) -> str:
    """The signer named by the page's stamp, and the JSON-LD's reviewedBy name."""
    tree = lxml.html.fromstring(client.get(article.get_absolute_url()).content.decode())
    (signer,) = tree.xpath('//*[contains(@class, "review-stamp-signer")]//a')
    (script,) = tree.xpath('//script[@type="application/ld+json"]')
    (page,) = [n for n in json.loads(script.text)["@graph"] if n["@type"] == "MedicalWebPage"]
    reviewed_by = page["reviewedBy"]
    assert f"{reviewed_by['name']}, {reviewed_by['honorificSuffix']}" == signer.text_content()
    return signer.text_content()


def test_a_new_sign_off_records_the_honorific_in_its_printed_name_and_the_stamp_shows_it(client):
    reviewer = ReviewerProfileFactory(honorific="Dr.", printed_name="Jane Roe", credentials="DO")
    article = ArticleFactory()
    make_live(article, reviewer=reviewer)
    signoff = SignOff.objects.get(revision=article.live_revision)
    assert signoff.printed_name == "Dr. Jane Roe"
    assert signoff_signature_holds(signoff)  # the name is part of what the site signed
    assert stamp_name(client, article) == "Dr. Jane Roe, DO"
    assert reviewer.display_name == "Dr. Jane Roe, DO"


def test_without_an_honorific_the_name_is_printed_as_before():
    reviewer = ReviewerProfileFactory(honorific="", printed_name="Jane Roe", credentials="RN")
    assert reviewer.signing_name == "Jane Roe" and reviewer.display_name == "Jane Roe, RN"


def test_adding_an_honorific_later_leaves_existing_sign_offs_and_stamps_as_signed(client):
    reviewer = ReviewerProfileFactory(printed_name="Jane Roe", credentials="DO")
    article = ArticleFactory(live=True)
    first = make_live(ArticleFactory(), reviewer=reviewer)
    earlier = SignOff.objects.get(revision=first)
    page = first.article

    reviewer.honorific = "Dr."
    reviewer_profile_save(profile=reviewer, actor=AdminUserFactory())
    reviewer_verify(
        profile=reviewer,
        admin_user=AdminUserFactory(),
        evidence="Texas Medical Board public lookup: licence active.",
        checked_on=timezone.localdate(),
    )

    earlier.refresh_from_db()
    assert earlier.printed_name == "Jane Roe" and signoff_signature_holds(earlier)
    assert stamp_name(client, page) == "Jane Roe, DO"
    # The next signature carries the new name.
    later = sign(article.live_revision, reviewer=reviewer)
    assert later.printed_name == "Dr. Jane Roe"
    assert stamp_name(client, article) == "Dr. Jane Roe, DO"


@pytest.mark.parametrize(("field", "value"), [("honorific", "Prof."), ("printed_name", "J. Roe")])
def test_changing_the_honorific_withdraws_the_verification_as_a_name_change_does(field, value):
    profile = ReviewerProfileFactory(honorific="Dr.")
    before = getattr(profile, field)
    setattr(profile, field, value)
    actor = AdminUserFactory()
    reviewer_profile_save(profile=profile, actor=actor)
    profile.refresh_from_db()
    assert not profile.is_verified and not profile.can_sign(timezone.now())
    event = AuditEvent.objects.get(action=AuditEvent.Action.PROFILE_CHANGED)
    assert event.actor == actor and event.data["verification_withdrawn"] is True
    assert event.data["changes"] == {field: {"before": before, "after": value}}


def test_a_name_too_long_for_a_signature_with_its_honorific_is_refused_and_nothing_changes():
    profile = ReviewerProfileFactory(printed_name="R" * 146)
    profile.honorific = "Prof."
    with pytest.raises(ValidationError) as info:
        reviewer_profile_save(profile=profile, actor=AdminUserFactory())
    assert "shorten the title or the name" in " ".join(info.value.message_dict["honorific"])
    profile = ReviewerProfile.objects.get(pk=profile.pk)
    assert profile.honorific == "" and profile.is_verified


def test_the_profile_form_offers_the_honorific_with_help_for_physicians_and_admins(client):
    client.force_login(AdminUserFactory())
    profile = ReviewerProfileFactory()
    response = client.get(reverse("admin:reviews_reviewerprofile_change", args=[profile.pk]))
    tree = lxml.html.fromstring(response.content.decode())
    (field,) = tree.xpath('//input[@name="honorific"]')
    assert field.get("maxlength") == "20"
    help_text = tree.get_element_by_id("id_honorific_helptext").text_content()
    assert '"Dr."' in help_text and "withdraws the verification" in help_text
