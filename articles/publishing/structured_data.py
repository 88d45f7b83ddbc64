"""
Structured data (schema.org JSON-LD) for article pages.

Everything comes from the same context the visible page is rendered from: the revision snapshot
(title, standfirst, FAQ, references), the article's metadata (topics, authors, dates) and the
page's `review` state (`articles.publishing.review_state`). `lastReviewed` and `reviewedBy`
are read from `review.signoff`, the record behind the visible stamp, and are left out whenever
the stamp is (`review.show_stamp` false), so search engines are never told more than readers see.

`json_ld()` serialises for a `<script type="application/ld+json">` data block: `<`, `>` and
`&` are written as JSON unicode escapes, so no string (a title containing `</script>`, say)
can end the element early; JSON parsers read the escapes back as the original characters.

Audience: `{"@type": "MedicalAudience", "audienceType": "Patient"}`. schema.org's `Patient`
type is also a subtype of `Person` (with properties such as `diagnosis`), so `{"@type":
"Patient"}` would describe one patient; `MedicalAudience` (a `PeopleAudience`) with
`audienceType` describes the group of readers the page is written for, which is what we mean,
and is valid for `WebPage.audience` (an `Audience`).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe


def absolute_url(path: str) -> str:
    """`path` on the public site's address (SITE_URL), for canonical links and JSON-LD."""
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))


def json_ld(data: Any) -> SafeString:
    """`data` as JSON that is safe inside `<script type="application/ld+json">`."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    # Three replace() calls: much faster than str.translate on long documents.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - escaped just above


def _iso(value) -> str | None:
    # To the second and in the site's time zone, exactly as the visible <time> elements say.
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _person(name: str, *, credentials: str = "", url: str = "") -> dict[str, Any]:
    person: dict[str, Any] = {"@type": "Person", "name": name}
    if credentials:
        person["honorificSuffix"] = credentials
    if url:
        person["url"] = url
    return person


def _publisher() -> dict[str, Any]:
    return {"@type": "Organization", "name": settings.SITE_NAME, "url": absolute_url("/")}


def _citation(reference: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"@type": "MedicalScholarlyArticle", "name": reference["text"]}
    same_as = []
    if reference.get("pmid"):
        entry["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "PMID",
            "value": reference["pmid"],
        }
        same_as.append(reference["pubmed_url"])
    if reference.get("doi_url"):
        same_as.append(reference["doi_url"])
    if reference.get("url") and not reference.get("pmid"):
        entry["url"] = reference["url"]
    if same_as:
        entry["sameAs"] = same_as
    return entry


def _faq_page(faq: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": entry["question"],
                "acceptedAnswer": {"@type": "Answer", "text": str(entry["answer"])},
            }
            for entry in faq
        ],
    }


def _about(topic: dict[str, Any]) -> dict[str, Any]:
    kind = "MedicalCondition" if topic["is_condition"] else "Thing"
    return {"@type": kind, "name": topic["name"], "url": absolute_url(topic["url"])}


def medical_web_page(context: dict[str, Any]) -> dict[str, Any]:
    """
    The `MedicalWebPage` of an article page, from its template context.

    Uses the keys of `articles.publishing.presentation.article_page_context` plus `review` (the
    page's `ReviewState`); without a `review`, or when `review.show_stamp` is false, there is no
    `lastReviewed`/`reviewedBy`.
    """
    url = absolute_url(context["url"])
    page: dict[str, Any] = {
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": context["title"],
        "inLanguage": settings.LANGUAGE_CODE,
        "audience": {"@type": "MedicalAudience", "audienceType": "Patient"},
        "publisher": _publisher(),
    }
    if context.get("standfirst"):
        page["description"] = context["standfirst"]
    if context.get("published_at"):
        page["datePublished"] = _iso(context["published_at"])
    original = context.get("original_published_on")  # a page imported from a previous site
    if original and (
        not context.get("published_at") or original < timezone.localdate(context["published_at"])
    ):
        page["datePublished"] = original.isoformat()
    if context.get("updated_at"):
        page["dateModified"] = _iso(context["updated_at"])
    image = context.get("lead_image")
    if image:
        page["primaryImageOfPage"] = {
            "@type": "ImageObject",
            "url": absolute_url(image["url"]),
            "width": image["width"],
            "height": image["height"],
        }
    review = context.get("review")
    if review is not None and review.show_stamp:
        signoff = review.signoff
        reviewer = signoff.reviewer
        profile_url = absolute_url(reviewer.get_absolute_url()) if reviewer.is_verified else ""
        # schema.org's lastReviewed is a Date: the day of the signature in the site's time zone.
        page["lastReviewed"] = timezone.localdate(review.last_reviewed_at).isoformat()
        page["reviewedBy"] = _person(
            signoff.printed_name, credentials=signoff.credentials, url=profile_url
        )
        if review.co_reviewers:  # a policy of several physicians: each of them reviewed it
            page["reviewedBy"] = [page["reviewedBy"]] + [
                _person(
                    other["name"],
                    credentials=other["credentials"],
                    url=absolute_url(reverse("articles:reviewer", args=[other["slug"]]))
                    if other["slug"]
                    else "",
                )
                for other in review.co_reviewers
            ]
    authors = context.get("authors") or []
    if authors:
        page["author"] = [
            _person(a["name"], credentials=a["credentials"], url=absolute_url(a["url"]))
            for a in authors
        ]
    topics = context.get("topics") or []
    if topics:
        page["about"] = [_about(topic) for topic in topics]
    references = context.get("references") or []
    if references:
        page["citation"] = [_citation(ref) for ref in references]
    if context.get("faq"):
        page["mainEntity"] = _faq_page(context["faq"])
    return page


def breadcrumb_list(context: dict[str, Any]) -> dict[str, Any]:
    """The page's breadcrumb trail (home, first topic, the article), as shown above the title."""
    crumbs = [("Home", absolute_url(reverse("articles:home")))]
    topics = context.get("topics") or []
    if topics:
        crumbs.append((topics[0]["name"], absolute_url(topics[0]["url"])))
    crumbs.append((context["title"], absolute_url(context["url"])))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": item}
            for position, (name, item) in enumerate(crumbs, start=1)
        ],
    }


def article_json_ld(context: dict[str, Any]) -> SafeString:
    """The JSON-LD document of an article page: the web page and its breadcrumbs."""
    return json_ld(
        {
            "@context": "https://schema.org",
            "@graph": [medical_web_page(context), breadcrumb_list(context)],
        }
    )
