"""
Publish the scheduled publications that are due. Meant for cron, every minute:

    * * * * *  cd /srv/healthpages && .venv/bin/python manage.py publish_scheduled
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from articles.publishing.workflow import publish_due_scheduled


class Command(BaseCommand):
    help = "Publish scheduled publications that are due (run every minute from cron)."

    def handle(self, *args, **options):
        """Run `publish_due_scheduled` at the current time and list what went live."""
        published = publish_due_scheduled(now=timezone.now())
        for article in published:
            self.stdout.write(
                f"Published '{article.title}' (revision {article.live_revision.number})."
            )
        if options["verbosity"] >= 2 or published:
            self.stdout.write(f"{len(published)} scheduled publication(s) carried out.")
