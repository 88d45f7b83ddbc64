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


def build_public_site() -> dict[str, str]:
    """Create the site; return the path of one page of each public type, by name."""
    CitationFactory(pmid="29870458", doi="10.1097/AAP.0000000000000808")
    topic = TopicFactory(name="Chronic pain", is_condition=True)
    author = ContributorFactory(name="Dana Writer")
    reviewer = ReviewerProfileFactory(printed_name="Rosa Diaz", credentials="MD", bio="Bio.")
    article = ArticleFactory(
        title="What is chronic pain?",
        body="<h2>Causes</h2><p>Often unclear [PMID:29870458].</p>",
        topics=[topic], authors=[author], takeaways=2, faq=2, comparisons=2,
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
