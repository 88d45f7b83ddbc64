"""
The figure library end to end, in Chromium: an editor uploads a chart drawn with Pillow,
inserts it into an article's body with "Insert a figure from the library", saves; a physician
signs and the article is published through the real services; the public page shows the image
(loaded) with its caption and credit, and no Content Security Policy violation is reported;
then the stored file the page loads is swapped on disk, and the page leaves the public site.
"""

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from articles.models import Article
from articles.publishing.workflow import article_publish
from figures.models import Figure
from tests.browser.axe import axe_violations
from tests.factories.articles import PASSWORD, ArticleFactory, EditorFactory
from tests.factories.workflow import sign
from tests.figures.test_articles import swap_file

pytestmark = pytest.mark.django_db(transaction=True)

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(autouse=True)
def figure_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "figures": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "figures"), "base_url": None},
        },
    }


def chart_png() -> bytes:
    image = Image.new("RGB", (1000, 600), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(80, 520), (940, 520)], fill="black", width=4)
    draw.line([(80, 60), (80, 520)], fill="black", width=4)
    for index, value in enumerate((2, 5, 7, 4)):
        left = 140 + index * 200
        draw.rectangle([left, 520 - value * 60, left + 120, 518], fill=(30, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.add_init_script(CSP_LISTENER)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_an_editor_inserts_a_figure_and_the_signed_page_shows_it(page: Page, live_server):
    errors = watch(page)
    editor = EditorFactory(username="figure-editor")
    article = ArticleFactory(title="Exercise and back pain", body="<p>Movement helps.</p>")
    base = live_server.url

    page.goto(f"{base}/admin/login/?next=/admin/figures/figure/add/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.set_input_files(
        "#id_image", files=[{"name": "chart.png", "mimeType": "image/png", "buffer": chart_png()}]
    )
    page.fill("#id_alt_text", "Bar chart: pain falls over four weeks of exercise.")
    page.fill("#id_caption", "Pain score by week of the programme.")
    page.fill("#id_credit", "Clear Pain Health")
    page.fill("#id_credit_url", "https://example.org/charts")
    page.select_option("#id_licence", label="CC BY 4.0")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    figure = Figure.objects.get()
    assert page.evaluate("() => window.__cspViolations") == []

    page.goto(f"{base}/admin/articles/article/{article.pk}/change/")
    page.wait_for_selector("#cke_id_body iframe", timeout=15000)
    body = page.frame_locator("#cke_id_body iframe").locator("body")
    body.locator("p").first.click()
    page.keyboard.press("End")
    picker = page.locator(".figure-picker")
    expect(picker.locator(f"option[value='{figure.pk}']")).to_be_attached(timeout=10000)
    picker.locator("select").select_option(str(figure.pk))
    expect(picker.locator("img.figure-picker-preview")).to_be_visible()
    picker.get_by_role("button", name="Insert figure").click()
    expect(body).to_contain_text(f"[FIGURE:{figure.pk}]")
    assert page.evaluate("() => window.__cspViolations") == []
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    article.refresh_from_db()
    assert f"<p>[FIGURE:{figure.pk}]</p>" in article.body
    revision = article.revisions.order_by("-number").first()
    assert revision.snapshot["figures"][0]["sha256"] == figure.sha256
    sign(revision)
    article_publish(article=Article.objects.get(pk=article.pk), revision=revision, user=editor)

    page.goto(f"{base}{article.get_absolute_url()}")
    shown = page.locator("figure.figure")
    shown.scroll_into_view_if_needed()
    expect(shown.locator("figcaption")).to_contain_text("Pain score by week of the programme.")
    expect(shown.locator("figcaption small")).to_contain_text(
        "Credit: Clear Pain Health (CC BY 4.0)"
    )
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.figure img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=10000,
    )
    assert shown.locator("img").get_attribute("alt") == figure.alt_text
    # axe, injected as a script, needs the CSP lifted: in a second context, the same page.
    checker = page.context.browser.new_context(bypass_csp=True).new_page()
    checker.goto(f"{base}{article.get_absolute_url()}")
    assert axe_violations(checker) == []  # the figure, its caption and credit link included
    checker.context.close()
    assert page.evaluate("() => window.__cspViolations") == []
    assert [e for e in errors if "Content Security Policy" in e] == []
    # The admin has no favicon; a missing one is the only error the browser may log.
    assert [e for e in errors if "404" not in e] == []

    # Someone with the disk swaps the picture the page loads: the page leaves the public site.
    loaded = page.evaluate("() => document.querySelector('figure.figure img').currentSrc")
    served = next(r for r in figure.renditions if r["sha256"] in loaded)
    swap_file(served["sha256"], served["format"])
    response = page.goto(f"{base}{article.get_absolute_url()}")
    assert response.status == 503  # "under review" once, as for a tampered revision
    assert "Pain score by week of the programme." not in page.content()
    assert page.goto(f"{base}{article.get_absolute_url()}").status == 404
