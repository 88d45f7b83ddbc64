"""Every public page type is valid HTML5 (W3C Nu checker, one run) with landmarks and no code."""

import re

import pytest

from tests.html_checker import nu_check
from tests.public.site import build_public_site

pytestmark = pytest.mark.django_db


def public_pages(client) -> dict[str, str]:
    """One page of every public type, rendered from a small but complete site."""
    urls = build_public_site()
    report = urls["report form"]
    documents = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == (404 if name == "404" else 200), name
        documents[name] = response.content.decode()
    invalid = client.post(report, {"message": "", "email": "bad"})
    documents["report form with errors"] = invalid.content.decode()
    thanks = client.post(report, {"message": "A typo."}, follow=True)
    documents["report thank-you"] = thanks.content.decode()
    assert "Your report has been sent" in documents["report thank-you"]
    return documents


def test_every_public_page_type_is_valid_html5(client):
    documents = public_pages(client)
    assert nu_check(documents) == {name: [] for name in documents}


def test_every_public_page_has_landmarks_a_skip_link_and_no_executable_code(client):
    for name, html in public_pages(client).items():
        assert re.search(r'<html lang="[a-z-]+"', html), name
        assert '<a class="skip-link" href="#main">' in html, name
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (name, landmark)
        code = re.sub(r'<script type="application/ld\+json">[^<]*</script>', "", html)
        assert "<script" not in code.lower(), name
        assert " style=" not in html and not re.search(r"\son[a-z]+=", html), name
        for img in re.findall(r"<img\b[^>]*>", html):
            assert " alt=" in img, (name, img)
