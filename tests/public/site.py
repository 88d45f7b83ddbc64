"""A small but complete public site, one page of every public type, for page-wide checks."""

from django.urls import reverse

from articles.models import CorrectionNote
from tests.factories.articles import (
    ArticleFactory,
    CitationFactory,
    ContributorFactory,
    TopicFactory,
)
from tests.factories.reviews import ReviewerProfileFactory
from tests.public.conftest import approve, publish

# The article's body holds one of every content block (articles/content/blocks.py), so the
# page-wide checks (the Nu checker, axe) cover each as the public page renders it.
EVERY_BLOCK_BODY = (
    "<h2>Causes</h2><p>Often unclear [PMID:29870458].</p>"
    '<div class="callout callout-urgent"><h3>Call 999 or go to A&amp;E now if:</h3>'
    "<ul><li>you cannot feel your legs</li></ul></div>"
    '<div class="callout callout-warning"><h3>Do not take it if:</h3><p>You are pregnant.</p></div>'
    '<div class="callout callout-info"><p>See a GP if the pain lasts 6 weeks.</p></div>'
    '<div class="key-facts"><ul><li><strong>1 in 5</strong> adults live with chronic pain '
    "[PMID:29870458]</li></ul></div>"
    '<ol class="steps"><li><strong>Assessment.</strong> A first visit.</li>'
    "<li><strong>Treatment.</strong> Then a plan.</li></ol>"
    '<div class="call-to-action"><p><a href="https://example.org/book" rel="noopener noreferrer">'
    "Book an assessment</a></p></div>"
)


def build_public_site() -> dict[str, str]:
    """Create the site; return the path of one page of each public type, by name."""
    CitationFactory(pmid="29870458", doi="10.1097/AAP.0000000000000808")
    topic = TopicFactory(name="Chronic pain", is_condition=True)
    author = ContributorFactory(name="Dana Writer")
    reviewer = ReviewerProfileFactory(printed_name="Rosa Diaz", credentials="MD", bio="Bio.")
    article = ArticleFactory(
        title="What is chronic pain?",
        body=EVERY_BLOCK_BODY,
        topics=[topic],
        authors=[author],
        takeaways=2,
        faq=2,
        comparisons=2,
    )
    publish(article, reviewer)
    approve(article.live_revision, reviewer)
    CorrectionNote.objects.create(article=article, text="A dose was corrected.")
    publish(ArticleFactory(title="Related page", topics=[topic]), reviewer)
    return {
        "home": reverse("articles:home"),
        "topic": topic.get_absolute_url(),
        "article": article.get_absolute_url(),
        "contributor": author.get_absolute_url(),
        "reviewer": reviewer.get_absolute_url(),
        "review board": reverse("articles:review_board"),
        "editorial policy": reverse("articles:editorial_policy"),
        "review history": reverse("articles:history", args=[article.slug]),
        "search results": reverse("articles:search") + "?q=pain",
        "search, nothing found": reverse("articles:search") + "?q=zzzz",
        "report form": reverse("articles:report_problem", args=[article.slug]),
        "404": "/articles/no-such-page/",
    }
