"""
Factories for the articles app.

`ArticleFactory(live=True)` makes the current draft into revision 1 (through the real
`revision_create` service) and sets it live directly. Publishing belongs to the review
workflow; these factories stand in for it so that public-page tests need no sign-off.
"""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from articles.content.services import revision_create
from articles.models import Article, Comparison, Contributor, FAQEntry, Takeaway, Topic
from references.models import Citation

PASSWORD = "editor-test-password"


class StaffUserFactory(factory.django.DjangoModelFactory):
    """A staff login with a known password (`PASSWORD`) and no permissions."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def editors_group() -> Group:
    """The Editors role as `setup_site` defines it: everything on articles, references, figures."""
    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["articles", "references", "figures"]
        ).exclude(codename__in=["change_review_interval", "delete_topic"])
    )
    return group


class EditorFactory(StaffUserFactory):
    """A staff user in the Editors group."""

    username = factory.Sequence(lambda n: f"editor{n}")

    @factory.post_generation
    def editors(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(editors_group())


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    description = "Pages about this topic."


class ContributorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contributor

    name = factory.Sequence(lambda n: f"Alex Writer {n}")
    slug = factory.Sequence(lambda n: f"alex-writer-{n}")
    credentials = "MPH"
    bio = "Health writer."


class CitationFactory(factory.django.DjangoModelFactory):
    """A stored PubMed citation, so revisions can cite it without any PubMed call."""

    class Meta:
        model = Citation
        django_get_or_create = ["pmid"]

    pmid = factory.Sequence(lambda n: str(29870000 + n))
    title = factory.Sequence(lambda n: f"A randomised trial of treatment {n}")
    authors = factory.LazyFunction(lambda: [{"last_name": "Smith", "initials": "J"}])
    journal_abbrev = "Pain Med"
    year = 2020
    volume = "21"
    pages = "100-9"
    doi = factory.LazyAttribute(lambda c: f"10.1000/test.{c.pmid}")
    publication_types = factory.LazyFunction(lambda: ["Randomized Controlled Trial"])
    evidence_label = "rct"


def make_live(article: Article, *, user=None, published_at=None, reviewer=None):
    """
    Make the article's current draft a revision, have a physician approve it, and set it live.

    The approval is a real sign-off (`reviews.services.signoff_create`) by `reviewer` (a
    verified ReviewerProfile made on the fly by default): the public gate shows nothing
    unsigned, so a live article in a test is a signed one, as in production.
    """
    from articles.publishing.publication import publication_sync
    from reviews.services import signoff_create
    from tests.factories.reviews import PASSWORD, ReviewerProfileFactory

    user = user or StaffUserFactory()
    revision = revision_create(article=article, user=user)
    reviewer = reviewer or ReviewerProfileFactory()
    if not revision.signoffs.filter(decision="approved").exists():
        signoff_create(
            revision=revision,
            user=reviewer.user,
            password=PASSWORD,
            decision="approved",
            attested=True,
            expected_hash=revision.content_hash,
        )
    published_at = published_at or article.first_published_at or timezone.now()
    Article.objects.filter(pk=article.pk).update(
        live_revision=revision, first_published_at=published_at
    )
    article.live_revision = revision
    article.first_published_at = published_at
    # What publishing does in the same transaction: the public read model follows.
    publication_sync(article=article)
    return revision


class ArticleFactory(factory.django.DjangoModelFactory):
    """
    A draft article. Options: `topics`/`authors` (lists; one of each is made by default),
    `takeaways`/`faq`/`comparisons` (a count), and `live=True` to publish revision 1.
    """

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Understanding condition {n}")
    slug = factory.Sequence(lambda n: f"understanding-condition-{n}")
    standfirst = "What it is, why it happens and what helps."
    body = "<h2>What it is</h2><p>A common condition.</p>"
    article_type = "explainer"

    @factory.post_generation
    def topics(obj, create, extracted, **kwargs):
        if create:
            obj.topics.set(extracted if extracted is not None else [TopicFactory()])

    @factory.post_generation
    def authors(obj, create, extracted, **kwargs):
        if create:
            obj.authors.set(extracted if extracted is not None else [ContributorFactory()])

    @factory.post_generation
    def takeaways(obj, create, extracted, **kwargs):
        for index in range(extracted if extracted is not None else 1):
            TakeawayFactory(article=obj, position=index)

    @factory.post_generation
    def faq(obj, create, extracted, **kwargs):
        for index in range(extracted or 0):
            FAQEntryFactory(article=obj, position=index)

    @factory.post_generation
    def comparisons(obj, create, extracted, **kwargs):
        for index in range(extracted or 0):
            ComparisonFactory(article=obj, position=index)

    @factory.post_generation
    def live(obj, create, extracted, **kwargs):
        if create and extracted:
            make_live(obj)


class TakeawayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Takeaway

    text = factory.Sequence(lambda n: f"Key point number {n}.")
    position = 0


class FAQEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQEntry

    question = factory.Sequence(lambda n: f"Question {n}?")
    answer = factory.Sequence(lambda n: f"<p>Answer {n}.</p>")
    position = 0


class ComparisonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comparison

    term = factory.Sequence(lambda n: f"Other condition {n}")
    explanation = "It differs in how long it lasts."
    position = 0
