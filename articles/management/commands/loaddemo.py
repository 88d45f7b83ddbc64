"""
Load the demo site: topics, authors, two reviewing physicians, PubMed citations and seven
original articles covering every editorial and review state.

Everything goes through the same services as real work (article_create, revision_create,
review_request_create, signoff_create with the reviewer's password, article_publish), so the
demo's stamps are real sign-offs. To give the demo a history (a review due soon, one overdue),
each step runs at a date in the past: the services take `now`, and the clock Django uses for
automatic timestamps is set to the same instant while the step runs. Sign-offs form one chain
in time order, so steps run in chronological order across all articles.

The people are fictional and their profiles say so. Citation metadata ships with the demo
(references/data/demo_citations.xml), so no network is needed. Loading twice is safe: the
second run finds the demo articles and does nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from articles.content.models import Article, Contributor, Topic
from articles.content.services import article_create, article_update, revision_create
from articles.demo.drawings import DRAWINGS
from articles.management.commands.setup_site import (
    DEMO_USERS,
    EDITORS,
    REVIEWERS,
    roles_update,
)
from articles.publishing.workflow import article_publish
from figures.services import figure_create
from references.models import Citation
from references.parsers import parse_efetch_xml
from references.services import citations_import_records
from reviews import policy
from reviews.models import ReviewerProfile
from reviews.services import review_request_create, reviewer_verify, signoff_create

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
CITATIONS_FILE = Path(__file__).resolve().parents[3] / "references" / "data" / "demo_citations.xml"
PASSWORDS = {username: password for username, password, *_ in DEMO_USERS}


@contextlib.contextmanager
def clock(at: datetime) -> Iterator[None]:
    """
    Run a step as if it were `at`: `timezone.now()` returns it while the step runs.

    Field defaults hold a reference to `timezone.now` itself (`default=timezone.now`), so the
    clock is set one level down, on the `datetime` class that function reads.
    """

    class DemoDateTime(datetime):
        @classmethod
        def now(cls, tz=None):
            return at.astimezone(tz) if tz else at.replace(tzinfo=None)

    with mock.patch.object(timezone, "datetime", DemoDateTime):
        yield


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    action: Callable[[], None] = field(compare=False)


class Command(BaseCommand):
    help = "Load the demo content: seven articles in every review state, with real sign-offs."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # Demo logins have printed passwords and the signatures are backdated.
            raise CommandError("The demo is loaded only when DJANGO_DEBUG is on.")
        content = json.loads((DEMO_DIR / "content.json").read_text(encoding="utf-8"))
        slugs = [item["slug"] for item in content["articles"]]
        if Article.objects.filter(slug__in=slugs).exists():
            self.stdout.write("Demo content is already loaded.")
            return
        now = timezone.now()
        with transaction.atomic():
            roles_update()
            citations_import_records(
                records=parse_efetch_xml(CITATIONS_FILE.read_bytes()),
                source=Citation.Source.FILE,
            )
            topics = self.create_topics(content["topics"])
            authors = self.create_contributors(content["contributors"])
            editor, admin = self.staff_users()
            reviewers = self.create_reviewers(content["reviewers"], admin=admin, now=now)
            steps: list[Step] = []
            for item in content["articles"]:
                steps += self.plan(item, topics, authors, editor, reviewers, now)
            for step in sorted(steps):
                with clock(step.at):
                    step.action()
        self.report(content)

    # --- People and topics -------------------------------------------------------------

    def create_topics(self, rows) -> dict[str, Topic]:
        topics = {}
        for row in rows:
            topic = Topic(**row)
            topic.full_clean()
            topic.save()
            topics[topic.slug] = topic
        return topics

    def create_contributors(self, rows) -> dict[str, Contributor]:
        authors = {}
        for row in rows:
            author = Contributor(**row)
            author.full_clean()
            author.save()
            authors[author.slug] = author
        return authors

    def user(self, username: str, *, first: str = "", last: str = "", group: str | None = None):
        """The demo login `username`, created with its printed demo password if missing."""
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": True,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_password(PASSWORDS[username])
            user.save()
        if group:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        return user

    def staff_users(self):
        editor = self.user("editor", first="Eddie", last="Editor", group=EDITORS)
        admin = self.user("admin", first="Ada", last="Admin")
        if not admin.is_superuser:
            admin.is_superuser = True
            admin.save(update_fields=["is_superuser"])
        return editor, admin

    def create_reviewers(self, rows, *, admin, now) -> dict[str, ReviewerProfile]:
        """Two verified physicians; their licences run two years from today."""
        reviewers = {}
        earliest = now - timedelta(days=800)
        for row in rows:
            first, _, last = row["printed_name"].partition(" ")
            user = self.user(row["username"], first=first, last=last, group=REVIEWERS)
            profile = ReviewerProfile(
                user=user,
                honorific=row.get("honorific", ""),
                printed_name=row["printed_name"],
                credentials=row["credentials"],
                specialty=row["specialty"],
                licence_number=row["licence_number"],
                licensing_body=row["licensing_body"],
                licence_expires_on=date.today() + timedelta(days=730),
                npi=row.get("npi", ""),
                bio=row["bio"],
                slug=row["slug"],
            )
            profile.full_clean()
            profile.save()
            # Verified before any of the demo's sign-offs.
            with clock(earliest):
                reviewer_verify(
                    profile=profile,
                    admin_user=admin,
                    evidence=f"Demo: {row['licensing_body']} licence lookup, licence "
                    f"{row['licence_number']} active (fictional physician).",
                    checked_on=earliest.date(),
                )
            reviewers[row["username"]] = profile
        return reviewers

    # --- Articles ------------------------------------------------------------------------

    def plan(self, item, topics, authors, editor, reviewers, now) -> list[Step]:
        """The dated steps that bring one article into its demo state."""
        state = item["state"]
        article_topics = [topics[slug] for slug in item["topics"]]
        interval = policy.effective_interval_days(t.review_interval_days for t in article_topics)
        holder: dict[str, Article] = {}
        steps: list[Step] = []

        def at(when: datetime, action: Callable[[], None]) -> None:
            steps.append(Step(when, len(steps), action))

        def create():
            data = {
                "title": item["title"],
                "slug": item["slug"],
                "standfirst": item["standfirst"],
                "body": self.with_figures(item, editor),
                "disclaimer": item.get("disclaimer", ""),
                "article_type": item["article_type"],
                "featured": item.get("featured", False),
                "topics": article_topics,
                "authors": [authors[slug] for slug in item["authors"]],
                "takeaways": item["takeaways"],
                "faq": item["faq"],
                "comparisons": item.get("comparisons", []),
            }
            holder["article"] = article_create(data=data, user=editor)
            revision_create(article=holder["article"], user=editor)

        def submit():
            revision = holder["article"].revisions.order_by("-number").first()
            review_request_create(revision=revision, user=editor)

        def sign(decision: str, comment: str = ""):
            def action():
                profile = reviewers[item["reviewer"]]
                revision = holder["article"].revisions.order_by("-number").first()
                signoff_create(
                    revision=revision,
                    user=profile.user,
                    password=PASSWORDS[profile.user.username],
                    decision=decision,
                    comment=comment,
                    attested=True,
                    expected_hash=revision.content_hash,
                )

            return action

        def publish():
            article = holder["article"]
            revision = article.revisions.order_by("-number").first()
            article_publish(article=article, revision=revision, user=editor)

        def edit():
            article = Article.objects.get(pk=holder["article"].pk)
            article_update(
                article=article,
                data={"body": item["edited_body"]},
                expected_version=article.version,
                user=editor,
            )
            revision_create(article=article, user=editor)

        # When the approval happened decides the review status the demo shows today.
        signed = {
            "published-current": now - timedelta(days=72),
            "published-with-draft": now - timedelta(days=45),
            "due-soon": now - timedelta(days=interval - 12),
            "overdue": now - timedelta(days=interval + 20),
        }
        if state in signed:
            approved_at = signed[state]
            at(approved_at - timedelta(days=3), create)
            at(approved_at - timedelta(days=2), submit)
            at(approved_at, sign("approved"))
            at(approved_at + timedelta(hours=2), publish)
            if state == "published-with-draft":
                at(now - timedelta(days=2), edit)
                at(now - timedelta(days=2, hours=-1), submit)
        elif state == "changes-requested":
            at(now - timedelta(days=6), create)
            at(now - timedelta(days=5), submit)
            at(now - timedelta(days=4), sign("changes_requested", item["review_comment"]))
        elif state == "in-review":
            at(now - timedelta(days=5), create)
            at(now - timedelta(days=5, hours=-1), submit)
        elif state == "never-approved":
            at(now - timedelta(days=1), create)
        else:
            raise ValueError(f"Unknown demo state {state!r} for {item['slug']}")
        return steps

    def with_figures(self, item, editor) -> str:
        """
        The item's body with each `[FIGURE:key]` turned into a figure of the library: the
        drawing is uploaded through the editors' own service (checked, given renditions).
        """
        body = item["body"]
        for figure in item.get("figures", []):
            png = DRAWINGS[figure["drawing"]]()
            stored = figure_create(
                image=io.BytesIO(png),
                data={
                    "alt_text": figure["alt"],
                    "caption": figure["caption"],
                    "credit": figure["credit_text"],
                    "credit_url": figure["credit_url"],
                    "licence": figure.get("licence", "original"),
                },
                user=editor,
            )
            body = body.replace(f"[FIGURE:{figure['key']}]", f"[FIGURE:{stored.pk}]")
        return body

    def report(self, content):
        statuses = dict(Article.objects.with_status().values_list("slug", "status"))
        self.stdout.write(self.style.SUCCESS("Demo content loaded:"))
        for item in content["articles"]:
            status = statuses.get(item["slug"], "?")
            self.stdout.write(f"  {item['state']:<22} {status:<18} /articles/{item['slug']}/")
