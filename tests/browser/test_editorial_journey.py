"""
Issue 12's acceptance ("The editorial loop"), in Chromium, as an editor and a physician live it:

1. the whole loop: written, sent to a named physician by a date, e-mailed to her alone, reviewed
   on her phone (changes requested), the comment read by the editor, edited and sent again,
   a wrong password caught, a passkey added with Chromium's virtual authenticator, approved
   with it, published, and the public stamp naming her;
2. from the admin home, a new article written and sent for review in at most five clicks;
3. axe finds nothing serious on the review screen and the article change page at 1280 px
   (the review screen at 390 px is in test_review_screen_mobile.py).

WebAuthn needs a secure context and a host that can be a relying-party id: live_server's
http://localhost:<port> is both (127.0.0.1 is not a valid RP id).
"""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from articles.models import Article
from articles.publishing.workflow import article_submit_for_review
from reviews.models import Passkey, ReviewRequest, SignOff
from tests.browser.axe import axe_violations
from tests.factories.articles import PASSWORD as EDITOR_PASSWORD
from tests.factories.articles import ArticleFactory, EditorFactory, TopicFactory
from tests.factories.reviews import PASSWORD as PHYSICIAN_PASSWORD
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign
from tests.passkey_device import SoftPasskey
from tests.reviews.test_passkeys import register

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
ROE = "Jane Roe, DO (Pain medicine)"  # as the Physician field lists her


@pytest.fixture
def people(live_server, settings):
    """The site's roles, a topic, an editor and two physicians; e-mailed links lead here."""
    settings.SITE_URL = live_server.url  # the links in e-mails open this server
    assert live_server.url.startswith("http://localhost:"), live_server.url
    call_command("setup_site", stdout=io.StringIO())
    TopicFactory(name="Back pain")
    editor = EditorFactory(username="eddie", email="eddie@example.org")
    roe = physician("Jane Roe", "drroe")
    doe = physician("John Doe", "drdoe")
    return editor, roe, doe


def physician(name: str, username: str):
    profile = ReviewerProfileFactory(
        printed_name=name,
        credentials="DO",
        user__username=username,
        user__email=f"{username}@example.org",
        user__is_staff=True,
    )
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    return profile


# --- What a person does ---------------------------------------------------------------------


@pytest.fixture
def open_browser(browser: Browser, live_server):
    """
    A new browser (its own cookies) for each person. All are closed when the test ends, before
    its database goes: a late request of theirs would reach a server thread mid-teardown.
    """
    contexts = []

    def new_browser(viewport=DESK) -> Page:
        contexts.append(browser.new_context(viewport=viewport, bypass_csp=True))
        return contexts[-1].new_page()

    yield new_browser
    for context in contexts:
        context.close()


def log_in(page: Page, username: str, password: str) -> None:
    """On the admin's login page (where an admin address leads someone not logged in)."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("Log out")


def go_to_admin_and_log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    log_in(page, username, password)


def ckeditor_body(page: Page) -> Locator:
    page.wait_for_selector("#cke_id_body iframe", timeout=15000)
    return page.frame_locator("#cke_id_body iframe").locator("body")


def write_body(page: Page, paragraphs: list[str]) -> None:
    """Type the paragraphs into CKEditor, Enter between them."""
    body = ckeditor_body(page)
    expect(body).to_have_attribute("contenteditable", "true", timeout=15000)
    body.press_sequentially(paragraphs[0])
    for paragraph in paragraphs[1:]:
        page.keyboard.press("Enter")
        page.keyboard.type(paragraph)


def choose_physician(page: Page, label: str, wanted_by) -> None:
    page.locator("#id_review_assignee").select_option(label=label)
    page.locator("#id_review_due_on").fill(wanted_by.isoformat())


def save_and_send_for_review(page: Page) -> None:
    page.click("input[name=_save_and_submit]")


def e_mails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def link_in(message) -> str:
    [link] = re.findall(r"https?://\S+", message.body)
    return link


def decide(page: Page, decision: str, *, comment: str = "", password: str = "") -> None:
    """Fill the decision card: the decision, a comment, no conflict, the attestation."""
    page.get_by_role("radio", name=decision).check()
    if comment:
        page.get_by_label("Comment").fill(comment)
    page.get_by_role("radio", name="None to declare").check()
    page.locator("#id_attested").check()
    if password:
        page.fill("#id_password", password)


class PasskeyDevice:
    """Chromium's virtual authenticator in `page`: a built-in device that verifies its user."""

    def __init__(self, page: Page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        added = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        self.id = added["authenticatorId"]

    def passkeys(self) -> int:
        """How many passkeys the device holds."""
        return len(
            self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]
        )


def add_a_passkey(page: Page, name: str) -> None:
    """On "Your passkeys": name it, re-enter the password, let the device make it."""
    page.get_by_label("Name of this passkey").fill(name)
    page.get_by_label("Your password").fill(PHYSICIAN_PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".messagelist")).to_contain_text(f"The passkey “{name}” was added")


# --- 1. The journey ---------------------------------------------------------------------------


def test_the_editorial_loop_from_writing_to_the_physicians_stamp(open_browser, live_server, people):
    editor_user, roe, _ = people  # John Doe reviews too, but is not the one asked
    base = live_server.url
    wanted_by = timezone.localdate() + timedelta(days=5)
    typed = [
        "Most low back pain gets better within a few weeks.",
        "Keep moving: staying active helps you recover sooner.",
    ]

    # The editor writes the page and sends it to Jane Roe, wanted in five days.
    editor = open_browser()
    go_to_admin_and_log_in(editor, base, "eddie", EDITOR_PASSWORD)
    editor.goto(base + reverse("admin:articles_article_add"))
    editor.fill("#id_title", "Low back pain")
    editor.select_option("#id_topics_from", label="Back pain")
    editor.click("#id_topics_add")
    write_body(editor, typed)
    choose_physician(editor, ROE, wanted_by)
    editor.get_by_label("Note to the reviewer").fill("New page: please check the advice.")
    save_and_send_for_review(editor)
    expect(editor.locator(".messagelist")).to_contain_text(
        f"“Low back pain” was saved, and revision 1 was sent for medical review to "
        f"Jane Roe, DO, wanted by {wanted_by.day} {wanted_by:%B %Y}."
    )
    article = Article.objects.get()
    # Nothing typed was lost: the stored body is exactly the typed paragraphs.
    assert re.sub(r">\s+<", "><", article.body.strip()) == "".join(f"<p>{p}</p>" for p in typed)
    request = ReviewRequest.objects.get()
    assert (request.assignee, request.due_on, request.revision.number) == (roe, wanted_by, 1)

    # Exactly one e-mail, to Jane Roe, links to the review screen.
    [asked] = mail.outbox
    assert asked.to == [roe.user.email]
    assert link_in(asked) == base + reverse(
        "admin:articles_article_review", args=[request.revision.pk]
    )

    # She opens it on her phone, logs in, and requests changes.
    doctor = open_browser(PHONE)
    doctor.goto(link_in(asked))
    log_in(doctor, "drroe", PHYSICIAN_PASSWORD)
    expect(doctor.locator(".review-summary")).to_contain_text("Asked: you, wanted by")
    expect(doctor.locator(".review-rendering")).to_contain_text(typed[1])
    comment = "Say what helps at night: heat, and a pillow between the knees."
    decide(doctor, "Changes requested", comment=comment, password=PHYSICIAN_PASSWORD)
    doctor.get_by_role("button", name="Request changes").click()
    expect(doctor.locator(".messagelist")).to_contain_text(
        "Signed: changes requested for revision 1"
    )

    # The editor reads her comment in an e-mail, and on the article's page it links to.
    [decided] = e_mails_to(editor_user.email)
    assert "changes requested" in decided.subject and comment in decided.body
    editor.goto(link_in(decided))
    latest = editor.locator("#latest-decision")
    expect(latest).to_contain_text("Latest medical decision: Changes requested")
    expect(latest).to_contain_text("By Jane Roe, DO")
    expect(latest.locator(".latest-decision__comment")).to_have_text(comment)

    # The editor adds what was asked and sends it to her again.
    body = ckeditor_body(editor)
    body.locator("p").nth(1).click()
    editor.keyboard.press("End")
    editor.keyboard.type(" At night, heat and a pillow between the knees can help.")
    choose_physician(editor, ROE, wanted_by)
    save_and_send_for_review(editor)
    expect(editor.locator(".messagelist")).to_contain_text("revision 2 was sent for medical review")
    article.refresh_from_db()
    assert "a pillow between the knees can help.</p>" in article.body

    # At her desk she signs with a wrong password first: the error is in view, with the focus.
    again = e_mails_to(roe.user.email)[-1]
    assert "(revision 2)" in again.subject
    doctor.set_viewport_size(DESK)
    doctor.goto(link_in(again))
    decide(doctor, "Approved", password="not-my-password")
    doctor.get_by_role("button", name="Approve and sign").click()
    summary = doctor.locator("#review-errors")
    expect(summary).to_contain_text("The password is not correct")
    expect(summary).to_be_in_viewport()
    doctor.wait_for_function(
        "() => document.querySelector('#review-errors').contains(document.activeElement)"
    )

    # She adds a passkey on "Your passkeys" (linked from the password's help)...
    device = PasskeyDevice(doctor)
    doctor.get_by_role("link", name="add a passkey").click()
    expect(doctor.locator("h1")).to_have_text("Your passkeys")
    add_a_passkey(doctor, "Work laptop")
    assert device.passkeys() == 1

    # ...and approves with it, without her password.
    doctor.goto(link_in(again))
    decide(doctor, "Approved")
    doctor.get_by_role("button", name="Sign with my passkey").click()
    expect(doctor.locator(".messagelist")).to_contain_text("Signed: approved for revision 2")
    approval = SignOff.objects.approvals().get(revision__article=article)
    assert approval.revision.number == 2
    assert approval.passkey == Passkey.objects.get(profile=roe, name="Work laptop")

    # The editor publishes from the approval's e-mail; the public page names Jane Roe.
    [approved] = [m for m in e_mails_to(editor_user.email) if "approved" in m.subject]
    editor.goto(link_in(approved))
    editor.get_by_role("button", name="Publish approved revision 2").click()
    expect(editor.locator(".messagelist")).to_contain_text("Revision 2 is now live")
    reader = open_browser()
    reader.goto(base + article.get_absolute_url())
    expect(reader.locator(".review-stamp")).to_contain_text("Medically reviewed by Jane Roe, DO")


# --- 2. Five clicks ---------------------------------------------------------------------------


class Clicks:
    """
    A person's clicks, counted: the test clicks only through `click`, and chooses from a list
    only through `choose` (one click). The browser counts the real clicks it receives too, so
    a click made some other way would not go unnoticed.
    """

    def __init__(self, page: Page):
        self.page = page
        self.clicked = 0
        self.chosen = 0
        self.received = 0
        page.expose_function("aPersonClicked", self._received)
        page.add_init_script(
            "addEventListener('click', e => { if (e.isTrusted) window.aPersonClicked(); }, true)"
        )

    def _received(self) -> None:
        self.received += 1

    def start(self) -> None:
        """Count from here (logging in is not part of the task)."""
        self.clicked = self.chosen = self.received = 0

    @property
    def count(self) -> int:
        return self.clicked + self.chosen

    def click(self, locator: Locator) -> None:
        self.clicked += 1
        locator.click()

    def choose(self, select: Locator, label: str) -> None:
        self.chosen += 1
        select.select_option(label=label)


def test_from_the_admin_home_a_new_article_is_sent_for_review_in_at_most_5_clicks(
    open_browser, live_server, people
):
    page = open_browser()
    clicks = Clicks(page)
    go_to_admin_and_log_in(page, live_server.url, "eddie", EDITOR_PASSWORD)
    expect(page.locator("#your-work")).to_be_visible()
    clicks.start()

    clicks.click(page.locator("tr.model-article a.addlink"))
    page.locator("#id_title").fill("Sciatica")
    clicks.choose(page.locator("#id_topics_from"), "Back pain")
    clicks.click(page.locator("#id_topics_add"))
    write_body(page, ["Sciatica is pain that runs from the back down one leg."])
    clicks.click(page.locator("input[name=_save_and_submit]"))

    expect(page.locator(".messagelist")).to_contain_text(
        "“Sciatica” was saved, and revision 1 was sent for medical review"
    )
    request = ReviewRequest.objects.get(revision__article__title="Sciatica")
    assert "runs from the back down one leg" in request.revision.snapshot["body"]
    assert clicks.received == clicks.clicked  # every click went through the counter
    assert clicks.count <= 5, f"{clicks.count} clicks"
    assert clicks.count == 4  # the Add link, the topic and its arrow, Save and send for review


# --- 3. axe at 1280 px --------------------------------------------------------------------------


@pytest.fixture
def article_in_review(people):
    """Changes requested on revision 1; revision 2 sent to Jane Roe, who has a passkey."""
    editor, roe, _ = people
    article = ArticleFactory(title="Low back pain", body="<p>Keep moving.</p>")
    first = article_submit_for_review(article=article, user=editor, assignee=roe).revision
    sign(first, reviewer=roe, decision="changes_requested", comment="Say what helps at night.")
    edit_body(article, "<p>Keep moving.</p><p>Heat can help at night.</p>", editor=editor)
    second = article_submit_for_review(article=article, user=editor, assignee=roe).revision
    register(roe, SoftPasskey())
    return article, second


def test_axe_passes_on_the_review_screen_at_1280_px(open_browser, live_server, article_in_review):
    _, revision = article_in_review
    page = open_browser()
    page.goto(live_server.url + reverse("admin:articles_article_review", args=[revision.pk]))
    log_in(page, "drroe", PHYSICIAN_PASSWORD)
    expect(page.get_by_role("button", name="Sign with my passkey")).to_be_visible()
    assert axe_violations(page) == []


def test_axe_passes_on_the_article_change_page_at_1280_px(
    open_browser, live_server, article_in_review
):
    article, _ = article_in_review
    page = open_browser()
    page.goto(live_server.url + reverse("admin:articles_article_change", args=[article.pk]))
    log_in(page, "eddie", EDITOR_PASSWORD)
    expect(page.locator("#latest-decision")).to_contain_text("Changes requested")
    expect(ckeditor_body(page)).to_contain_text("Heat can help at night.", timeout=15000)
    assert axe_violations(page) == []
