"""
`manage.py publications_render`: re-write every publication record from its signed sources.

Run after a deploy that changed the page templates or the review settings (`setup_site` runs
it): each record's HTML, JSON-LD, review dates and seal are derived again, in its own
transaction. Records of an older render version are also re-rendered lazily on read.
"""

from django.core.management.base import BaseCommand

from articles.publishing.publication import publication_render_all


class Command(BaseCommand):
    help = "Re-render every publication record (after template or review-setting changes)."

    def handle(self, *args, **options):
        count = publication_render_all()
        self.stdout.write(self.style.SUCCESS(f"{count} publication record(s) re-rendered."))
