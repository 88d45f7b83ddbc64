"""The editable side: topics, contributors, the article draft and its ordered parts."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from articles.content.sanitize import validate_images_have_alt
from reviews.approvals import ApprovalPolicy

# The range a topic's review interval may take (a database constraint holds it): long enough
# to be workable, never so long that a page would go years without a physician's look.
REVIEW_INTERVAL_MIN_DAYS = 30
REVIEW_INTERVAL_MAX_DAYS = 1095


class Topic(models.Model):
    """A subject that groups articles (e.g. "Back pain"); conditions get medical markup."""

    name = models.CharField(max_length=120, unique=True, help_text="The topic as readers see it.")
    slug = models.SlugField(
        max_length=120, unique=True, help_text="The topic's web address: /topics/<slug>/."
    )
    description = models.TextField(
        blank=True, help_text="One or two sentences shown at the top of the topic page."
    )
    is_condition = models.BooleanField(
        default=False,
        help_text="Tick when the topic is a medical condition (search engines are told so).",
    )
    review_interval_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(REVIEW_INTERVAL_MIN_DAYS),
            MaxValueValidator(REVIEW_INTERVAL_MAX_DAYS),
        ],
        help_text=f"Overrides the site's review interval for articles in this topic: "
        f"{REVIEW_INTERVAL_MIN_DAYS} to {REVIEW_INTERVAL_MAX_DAYS} days. Only site "
        "administrators can change it.",
    )

    approvals_required = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        verbose_name="Approvals required",
        help_text="How many different physicians must approve a page of this topic before it "
        "goes live (1 to 3). Only site administrators can change it.",
    )
    specialty_required = models.CharField(
        max_length=120,
        blank=True,
        verbose_name="Specialty required",
        help_text='One of the approvals must come from a physician of this specialty, as written '
        'on their reviewer profile (e.g. "Cardiology"); empty: any. Only site administrators '
        "can change it.",
    )

    class Meta:
        ordering = ["name"]
        permissions = [
            ("change_review_interval", "Can change a topic's review interval and policy"),
        ]

        constraints = [
            models.CheckConstraint(
                condition=Q(review_interval_days__isnull=True)
                | Q(
                    review_interval_days__gte=REVIEW_INTERVAL_MIN_DAYS,
                    review_interval_days__lte=REVIEW_INTERVAL_MAX_DAYS,
                ),
                name="topic_review_interval_in_range",
                violation_error_message=f"A review interval is {REVIEW_INTERVAL_MIN_DAYS} to "
                f"{REVIEW_INTERVAL_MAX_DAYS} days.",
            ),
            models.CheckConstraint(
                condition=Q(approvals_required__gte=1, approvals_required__lte=3),
                name="topic_approvals_required_in_range",
                violation_error_message="A topic requires 1 to 3 approvals.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:topic", kwargs={"slug": self.slug})

    def approval_policy(self) -> ApprovalPolicy:
        """The topic's approval policy (`reviews.approvals`)."""
        specialty = self.specialty_required.strip()
        return ApprovalPolicy(
            approvals=self.approvals_required, specialties=(specialty,) if specialty else ()
        )


class Contributor(models.Model):
    """A person credited as an author, with a public profile page."""

    name = models.CharField(max_length=120, help_text="Full name as printed in the byline.")
    slug = models.SlugField(
        max_length=120, unique=True, help_text="The profile's web address: /contributors/<slug>/."
    )
    credentials = models.CharField(
        max_length=120, blank=True, help_text='Degrees or roles after the name, e.g. "MPH, RN".'
    )
    bio = models.TextField(blank=True, help_text="A short biography for the profile page.")
    photo = models.ImageField(
        upload_to="contributors/", blank=True, help_text="Optional head-and-shoulders photo."
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributor",
        help_text="The login of this person, if they have one (used to keep authors from "
        "reviewing their own work).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    def get_absolute_url(self):
        return reverse("articles:contributor", kwargs={"slug": self.slug})


class ArticleType(models.TextChoices):
    CONDITION_OVERVIEW = "condition_overview", "Condition overview"
    TREATMENT = "treatment", "Treatment"
    EXPLAINER = "explainer", "Explainer"
    GUIDE = "guide", "Guide"


class ArticleQuerySet(models.QuerySet):
    """Named filters and the annotations the admin change list shows."""

    def live(self):
        """
        Articles the public can read: a live revision that a physician signed.

        `article_publish` is the only code that sets `live_revision`, and it demands the
        approval in force (`SignOff.objects.in_force`); this filter demands a valid approval
        again, so a live revision set any other way (the shell, raw SQL, a future bug) never
        reaches the public. When a later decision takes the approval back (changes requested,
        the signer revoked), the page stays readable with a notice instead of the stamp
        (`articles.publishing.review_state`), unless the withdraw setting is on: then only pages
        whose approval is still in force are public. (That the stored content still hashes to the
        signed hash is checked per page.)
        """
        from reviews import policy
        from reviews.models import SignOff

        approvals = (
            SignOff.objects.in_force()
            if policy.withdraw_overdue_enabled()
            else SignOff.objects.valid_approvals()
        )
        signed = approvals.filter(revision_id=OuterRef("live_revision_id"))
        return self.filter(live_revision__isnull=False).filter(Exists(signed))

    def with_status(self):
        """
        Annotate `status`, the editorial state of the article's newest revision.

        The single place the status is computed (admin list, filters, queues), in this order:

        - ``in_review``: the newest revision has an open review request;
        - ``published``: the newest revision is the live one;
        - ``approved``: a physician approved the newest revision (hash matching) and it awaits
          publishing;
        - ``changes_requested``: the newest sign-off on the newest revision asked for changes;
        - ``withdrawn``: the article was live once and has no live revision now;
        - ``draft``: anything else (never sent for review, or edited since).
        """
        from articles.content.models.revisions import ArticleRevision
        from reviews.models import ReviewRequest, SignOff

        newest = ArticleRevision.objects.filter(article_id=OuterRef("pk")).order_by("-number")
        newest_id = Subquery(newest.values("pk")[:1])
        newest_hash = Subquery(newest.values("content_hash")[:1])
        open_request = ReviewRequest.objects.filter(
            revision_id=OuterRef("newest_revision_id"), state=ReviewRequest.State.OPEN
        )
        approval = SignOff.objects.publishable().filter(
            revision_id=OuterRef("newest_revision_id")
        )
        last_decision = SignOff.objects.filter(
            revision_id=OuterRef("newest_revision_id")
        ).order_by("-pk")
        return self.annotate(
            newest_revision_id=newest_id, newest_revision_hash=newest_hash
        ).annotate(
            newest_decision=Subquery(last_decision.values("decision")[:1])
        ).annotate(
            status=Case(
                When(Exists(open_request), then=Value("in_review")),
                When(
                    live_revision__isnull=False,
                    live_revision_id=F("newest_revision_id"),
                    then=Value("published"),
                ),
                When(Exists(approval), then=Value("approved")),
                When(
                    newest_decision=SignOff.Decision.CHANGES_REQUESTED,
                    then=Value("changes_requested"),
                ),
                When(
                    live_revision__isnull=True,
                    first_published_at__isnull=False,
                    then=Value("withdrawn"),
                ),
                default=Value("draft"),
                output_field=models.CharField(),
            )
        )

    def with_review_dates(self):
        """
        Annotate the live revision's review dates, in SQL, for lists, filters and the sitemap.

        - `last_reviewed_at`: the approval in force of the live revision (a periodic re-review
          adds a newer one; a later "changes requested" leaves none);
        - `review_interval_days`: the smallest override among the article's topics, else the
          site-wide interval (the same rule as `reviews.policy.effective_interval_days`);
        - `next_review_due`: last reviewed + interval (`reviews.policy.next_review_due`).

        This mirrors the review policy in SQL so lists can filter and sort by due date; the
        single-article page computes the same values with the policy functions
        (`articles.publishing.review_state`), and a test holds the two to the same answers.
        """
        from reviews import policy
        from reviews.models import SignOff

        approvals = (
            SignOff.objects.in_force()
            .filter(revision_id=OuterRef("live_revision_id"))
            .order_by("-pk")
        )
        topic_interval = (
            self.model.topics.through.objects.filter(
                article_id=OuterRef("pk"), topic__review_interval_days__isnull=False
            )
            .order_by("topic__review_interval_days")
            .values("topic__review_interval_days")[:1]
        )
        interval = ExpressionWrapper(
            F("review_interval_days") * Value(timedelta(days=1)),
            output_field=models.DurationField(),
        )
        return self.annotate(
            last_reviewed_at=Subquery(approvals.values("signed_at")[:1]),
            review_interval_days=Coalesce(
                Subquery(topic_interval),
                Value(policy.default_interval_days()),
                output_field=models.IntegerField(),
            ),
        ).annotate(
            next_review_due=ExpressionWrapper(
                F("last_reviewed_at") + interval, output_field=models.DateTimeField()
            )
        )


class Article(models.Model):
    """
    The editable draft of one patient-education page.

    Nothing here is public. Readers see `live_revision`, an immutable snapshot that only the
    publishing service sets; editing the draft never changes the public page. `version` is
    bumped by every save through `articles.content.services.article_update`, which refuses a save
    based on an older version (optimistic locking: no lost updates between two editors).
    """

    title = models.CharField(max_length=200, help_text="The page title, as a reader would ask it.")
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The page's web address: /articles/<slug>/. Changing it keeps the old "
        "address working with a redirect.",
    )
    standfirst = models.CharField(
        max_length=300,
        blank=True,
        help_text="The summary under the title, at most 300 characters.",
    )
    body = models.TextField(
        blank=True,
        validators=[validate_images_have_alt],
        help_text="The article. Cite a source by typing [PMID:12345678] after the claim; "
        "every image needs alt text.",
    )
    search_description = models.CharField(
        "Search description",
        max_length=160,
        blank=True,
        help_text="What search engines and link previews show under the title, at most 160 "
        "characters. Leave empty to use the standfirst. Part of what the physician signs.",
    )
    disclaimer = models.TextField(
        "Page disclaimer",
        blank=True,
        max_length=1000,
        help_text="Plain text shown in place of the site's standard medical disclaimer on this "
        "page only (for example, for a page about a treatment only some patients can have). "
        "Leave empty for the standard one. Part of what the physician signs.",
    )
    article_type = models.CharField(
        max_length=32,
        choices=ArticleType.choices,
        default=ArticleType.EXPLAINER,
        help_text="What kind of page this is.",
    )
    topics = models.ManyToManyField(
        Topic, related_name="articles", help_text="One or more topics the page belongs to."
    )
    authors = models.ManyToManyField(
        Contributor,
        related_name="articles",
        blank=True,
        help_text='Shown as "Written by" on the page.',
    )
    featured = models.BooleanField(
        default=False, help_text="Show on the home page's featured list."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the draft was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the draft was last saved.")
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Increases with every save; a save from an older version is refused.",
    )
    live_revision = models.ForeignKey(
        "articles.ArticleRevision",
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        on_delete=models.PROTECT,
        help_text="The revision the public sees; set only by publishing an approved revision.",
    )
    first_published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the page first went live."
    )
    needs_review = models.BooleanField(
        default=False,
        help_text="Flag the page for medical review (e.g. a cited source was retracted).",
    )
    needs_review_reason = models.TextField(
        blank=True, help_text="Why the page needs review; required when it is flagged."
    )
    draft_editor_ids = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Logins that saved the draft since its last revision (moved into the next "
        "revision, so that none of them approves it).",
    )
    # Brought across from a previous site (`manage.py import_site`): outside the signed
    # snapshot, like the dates, because a physician here neither wrote nor checked them.
    original_published_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the page was first published on the site it was brought across from. "
        'Shown as "First published" and given to search engines as the publication date.',
    )
    legacy_reviews = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Reviews the previous site claimed, as imported text "
        '([{"reviewer": "Name, credentials", "date": "YYYY-MM-DD"}]). Never a sign-off: shown '
        "only when the site enables it, marked as before this site's signed reviews.",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        # The admin's change list sorts by it: an index keeps it from scanning every article.
        indexes = [models.Index(fields=["-updated_at", "-id"], name="article_recently_updated")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="article_title_not_blank"),
            models.CheckConstraint(condition=~Q(slug=""), name="article_slug_not_blank"),
            models.CheckConstraint(condition=Q(version__gte=1), name="article_version_positive"),
            models.CheckConstraint(
                condition=Q(needs_review=False) | ~Q(needs_review_reason=""),
                name="article_needs_review_has_reason",
                violation_error_message="Say why the article needs review.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})


class Takeaway(models.Model):
    """One line of the "Key takeaways" box, in order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="takeaways")
    position = models.PositiveIntegerField(default=0, help_text="Order in the box (lowest first).")
    text = models.CharField(max_length=300, help_text="One short, plain-language sentence.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class FAQEntry(models.Model):
    """A question and its answer, shown as an expandable item in the page's FAQ."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="faq_entries")
    position = models.PositiveIntegerField(default=0, help_text="Order in the FAQ (lowest first).")
    question = models.CharField(max_length=300, help_text="The question as a reader asks it.")
    answer = models.TextField(
        validators=[validate_images_have_alt],
        help_text="The answer; simple formatting (bold, lists, links) is kept.",
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self):
        return self.question


class Comparison(models.Model):
    """A "how it differs" item, e.g. chronic pain vs. acute pain."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comparisons")
    position = models.PositiveIntegerField(default=0, help_text="Order on the page (lowest first).")
    term = models.CharField(
        max_length=120, help_text='What it is compared with, e.g. "Acute pain".'
    )
    explanation = models.TextField(help_text="How the two differ, in plain language.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.term


class ReferenceNote(models.Model):
    """
    A short note shown after one reference in this page's reference list, e.g. "Multi-society
    consensus guidelines": part of the signed content, so the physician reviews it.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reference_notes")
    citation = models.ForeignKey(
        "references.Citation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A source the page cites.",
    )
    note = models.CharField(
        max_length=160,
        help_text='What the reader should know about this source, e.g. "Multi-society '
        'consensus guidelines" or "Large randomised trial, 2,000 patients".',
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "citation"],
                name="referencenote_one_per_source",
                violation_error_message="This page already has a note on that source.",
            ),
            models.CheckConstraint(condition=~Q(note=""), name="referencenote_not_blank"),
        ]

    def __str__(self):
        return self.note


class SlugRedirect(models.Model):
    """An article's former slug; /articles/<old_slug>/ answers 301 to the current address."""

    old_slug = models.SlugField(
        max_length=200, unique=True, help_text="The former address, no longer used by any article."
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="slug_redirects")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the slug changed.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(old_slug=""), name="slugredirect_not_blank"),
        ]

    def __str__(self):
        return f"{self.old_slug} → {self.article.slug}"
