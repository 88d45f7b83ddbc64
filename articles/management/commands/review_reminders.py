"""
E-mail the people responsible for each live article whose medical review is due soon or overdue.

Run daily from cron. Each reminder goes out at most once per article, stage ("due soon",
"overdue") and due date: `reviews.services.reminder_claim` records it in the same transaction
as the sending, so a failed send leaves it unclaimed for the next run, and a second run (or two
overlapping ones) sends nothing new. A new approval moves the due date and starts a new cycle.

Recipients: the physician who signed the live revision's latest approval, and the article's
editors, meaning the active staff users who made any of its revisions (the people who wrote
the content). When none of them has an address, the members of the Editors group are asked
instead, so that a reminder never goes nowhere.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from articles.management.commands.setup_site import EDITORS
from articles.publishing.selectors import reviews_due
from reviews import policy
from reviews.models import ReminderLog
from reviews.services import reminder_claim


def recipients_for(article, signoff) -> list[str]:
    """The addresses a reminder about `article` goes to (see the module docstring)."""
    User = get_user_model()
    reviewer = [signoff.signer.email] if signoff is not None and signoff.signer.email else []
    editors = list(
        User.objects.filter(article_revisions__article=article, is_active=True, is_staff=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not editors:
        editors = list(
            User.objects.filter(groups__name=EDITORS, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
            .distinct()
        )
    return sorted(set(reviewer + editors))


def reminder_message(row) -> tuple[str, str]:
    """Subject and body of the reminder for one due-reviews row."""
    article = row["article"]
    due = timezone.localtime(row["next_review_due"])
    overdue = row["status"] == policy.ReviewStatus.OVERDUE
    subject = (
        f"Medical review overdue: {article.title}"
        if overdue
        else f"Medical review due {due:%d %B %Y}: {article.title}"
    )
    change_url = settings.SITE_URL + reverse("admin:articles_article_change", args=[article.pk])
    signoff = row["signoff"]
    last = (
        f"It was last reviewed by {signoff.display_name} on {signoff.signed_at:%d %B %Y}."
        if signoff
        else ""
    )
    state = "was due" if overdue else "is due"
    body = (
        f"The medical review of '{article.title}' {state} on {due:%d %B %Y %H:%M %Z}. {last}\n\n"
        "Please re-review the page: an editor sends the current revision for review, and a "
        "reviewing physician signs it (a re-review of unchanged content is a new sign-off on "
        "the same revision).\n\n"
        f"Article in the admin: {change_url}\n"
    )
    return subject, body


class Command(BaseCommand):
    help = "E-mail reminders for live articles whose medical review is due soon or overdue."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the reminders that would be sent; send and record nothing.",
        )

    def handle(self, *args, dry_run: bool, **options):
        """Send (or, with --dry-run, list) each due reminder once; report failures at the end."""
        now = timezone.now()
        horizon = policy.default_due_soon_days()
        sent = skipped = failed = 0
        for row in reviews_due(now=now, horizon_days=horizon):
            if row["status"] == policy.ReviewStatus.CURRENT:
                continue
            article, stage, due = row["article"], row["status"].value, row["next_review_due"]
            recipients = recipients_for(article, row["signoff"])
            if dry_run:
                already = ReminderLog.objects.filter(
                    article=article, stage=stage, next_due=due
                ).exists()
                verb = "already sent" if already else "would send"
                self.stdout.write(f"[dry run] {verb}: {stage} '{article.title}' to {recipients}")
                continue
            if not recipients:
                self.stderr.write(f"No one to remind about '{article.title}'.")
                failed += 1
                continue
            try:
                with transaction.atomic():
                    if not reminder_claim(
                        article=article,
                        stage=stage,
                        next_due=due,
                        recipients=recipients,
                        now=now,
                    ):
                        skipped += 1
                        continue
                    subject, body = reminder_message(row)
                    send_mail(subject, body, None, recipients)
            except Exception as error:  # noqa: BLE001 - one failed send must not stop the rest
                failed += 1
                self.stderr.write(f"Could not remind about '{article.title}': {error}")
                continue
            sent += 1
            self.stdout.write(f"Sent {stage} reminder for '{article.title}' to {recipients}.")
        if not dry_run:
            self.stdout.write(f"{sent} sent, {skipped} already sent before, {failed} failed.")
