"""
The passkey screens through Django's test client, with a software device (`SoftPasskey`)
answering what the browser would: "Your passkeys" adds and removes one (password required),
and the review screen signs a decision with it instead of the password. The browser journey
with Chromium's virtual authenticator is in tests/browser/.
"""

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from lxml import html as lxml_html

from articles.publishing.workflow import article_submit_for_review
from reviews.models import Passkey, SignOff
from tests.articles.test_review_screen import screen_url, sign_post
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.passkey_device import SoftPasskey

pytestmark = pytest.mark.django_db

PAGE = "admin:reviews_passkeys"


@pytest.fixture
def physician(client):
    call_command("setup_site", stdout=io.StringIO())
    profile = ReviewerProfileFactory(printed_name="Jane Roe", user__is_staff=True)
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(profile.user)
    return profile


def add_passkey(client, device, *, password=PASSWORD, name="Work laptop"):
    options = client.post(reverse(PAGE), {"action": "options"}).json()
    credential = device.create(options)
    return client.post(
        reverse(PAGE),
        {"action": "add", "name": name, "password": password, "credential": json.dumps(credential)},
        follow=True,
    )


def test_a_physician_adds_a_passkey_on_their_page(client, physician):
    device = SoftPasskey()
    response = add_passkey(client, device)
    [passkey] = Passkey.objects.all()
    assert passkey.profile == physician and passkey.name == "Work laptop"
    assert [str(m) for m in response.context["messages"]] == [
        "The passkey “Work laptop” was added: you can sign with it now."
    ]
    page = lxml_html.fromstring(response.content)
    assert page.xpath('//table[@aria-labelledby="your-passkeys"]//th[@scope="row"]/text()') == [
        "Work laptop"
    ]


def test_a_wrong_password_on_the_page_adds_nothing_and_says_so(client, physician):
    response = add_passkey(client, SoftPasskey(), password="guess")
    assert not Passkey.objects.exists()
    assert "The password is not correct; no passkey was added." in response.content.decode()


def test_a_challenge_is_used_once(client, physician):
    """A credential made for a challenge already spent (a replayed post) is refused."""
    device = SoftPasskey()
    options = client.post(reverse(PAGE), {"action": "options"}).json()
    credential = json.dumps(device.create(options))
    post = {"action": "add", "name": "A", "password": PASSWORD, "credential": credential}
    client.post(reverse(PAGE), post)
    again = client.post(reverse(PAGE), {**post, "name": "B"})
    assert Passkey.objects.count() == 1
    assert "Your device made no passkey" in again.content.decode()


def test_someone_without_a_reviewer_profile_has_no_passkey_page(client):
    client.force_login(EditorFactory())
    assert client.get(reverse(PAGE)).status_code == 403


def test_the_review_screen_signs_with_the_passkey(client, physician):
    device = SoftPasskey()
    add_passkey(client, device)
    request = article_submit_for_review(article=ArticleFactory(), user=EditorFactory())
    revision = request.revision
    page = client.get(screen_url(revision)).content.decode()
    assert "Sign with my passkey" in page

    options_url = reverse("admin:articles_article_review_passkey_options", args=[revision.pk])
    options = client.post(
        options_url, {"decision": "approved", "content_hash": revision.content_hash}
    ).json()
    assert options["userVerification"] == "required"
    assertion = device.get(options["challenge"])
    response = client.post(
        screen_url(revision),
        sign_post(revision, password="", passkey_assertion=json.dumps(assertion)),
    )
    assert response.status_code == 302
    signoff = SignOff.objects.get()
    assert signoff.passkey.profile == physician and signoff.decision == "approved"


def test_a_passkey_signature_for_another_decision_is_refused_on_the_screen(client, physician):
    device = SoftPasskey()
    add_passkey(client, device)
    revision = article_submit_for_review(article=ArticleFactory(), user=EditorFactory()).revision
    options_url = reverse("admin:articles_article_review_passkey_options", args=[revision.pk])
    options = client.post(
        options_url, {"decision": "approved", "content_hash": revision.content_hash}
    ).json()
    response = client.post(
        screen_url(revision),
        sign_post(
            revision,
            decision="changes_requested",
            comment="Cite the trial.",
            password="",
            passkey_assertion=json.dumps(device.get(options["challenge"])),
        ),
    )
    assert response.status_code == 200 and not SignOff.objects.exists()
    summary = lxml_html.fromstring(response.content).get_element_by_id("review-errors")
    assert "The passkey's signature was not accepted" in summary.text_content()


def test_without_password_or_passkey_the_screen_asks_for_the_password(client, physician):
    revision = article_submit_for_review(article=ArticleFactory(), user=EditorFactory()).revision
    response = client.post(screen_url(revision), sign_post(revision, password=""))
    assert not SignOff.objects.exists()
    assert "Enter your password to sign (or sign with your passkey)." in response.content.decode()


def test_the_options_are_given_only_for_a_decision_to_a_physician_with_a_passkey(
    client, physician
):
    revision = article_submit_for_review(article=ArticleFactory(), user=EditorFactory()).revision
    url = reverse("admin:articles_article_review_passkey_options", args=[revision.pk])
    post = {"decision": "approved", "content_hash": revision.content_hash}
    assert client.get(url).status_code == 405
    assert client.post(url, post).json() == {
        "error": "You have no passkey: add one, or use your password."
    }
    add_passkey(client, SoftPasskey())
    assert client.post(url, {**post, "decision": "maybe"}).status_code == 400
    answer = client.post(url, post)
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    assert answer.json()["challenge"] and answer.json()["userVerification"] == "required"
    client.force_login(EditorFactory())  # an editor cannot sign, so gets no options
    assert client.post(url, post).status_code == 403
