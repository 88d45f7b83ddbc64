"""The reviews template partials render what the review screen and history need."""

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from reviews.checks import Finding
from reviews.services import signoff_create
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.reviews.conftest import make_revision


def test_findings_partial_marks_blocking_and_warnings():
    html = render_to_string(
        "reviews/includes/findings.html",
        {
            "findings": [
                (Finding("retracted_citation", "blocking", "PMID 1 has been retracted.", ""), ""),
                (
                    Finding("promotional_wording", "warning", 'Promotional "miracle".', "a <b>"),
                    "finding-2",
                ),
            ]
        },
    )
    assert 'data-finding-code="retracted_citation"' in html
    assert "Blocks approval" in html and "review-finding--warning" in html
    assert "a &lt;b&gt;" in html  # excerpts are escaped
    # Only a finding whose sentence is marked in the page links to it.
    assert html.count('class="review-finding__show"') == 1
    assert 'href="#finding-2"' in html


def test_findings_partial_says_when_there_is_nothing():
    assert "No problems found" in render_to_string(
        "reviews/includes/findings.html", {"findings": []}
    )


@pytest.mark.django_db
def test_signoff_manifest_shows_signer_time_meaning_and_hash():
    reviewer = ReviewerProfileFactory(printed_name="Jane Roe", credentials="DO")
    revision = make_revision()
    signoff = signoff_create(
        revision=revision,
        user=reviewer.user,
        password=PASSWORD,
        decision="approved",
        attested=True,
        expected_hash=revision.content_hash,
    )
    html = render_to_string("reviews/includes/signoff_manifest.html", {"signoff": signoff})
    assert "Signed by Jane Roe, DO" in html
    assert f'datetime="{timezone.localtime(signoff.signed_at).isoformat()}"' in html
    assert "accurate and appropriate for publication" in html
    assert "None declared" in html
    assert signoff.content_hash[:12] in html
