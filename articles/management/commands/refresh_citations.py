"""
Re-check every PubMed citation with PubMed and Crossref; tell readers of every live page that
cites a source retracted or put under an expression of concern.

Run daily from cron. PubMed and Crossref are reached only here and in admin actions, never
while a page is rendered. Each batch of citations commits together with the alerts of the pages
citing them (`references.services.citations_refresh`, `articles.publishing.retractions`); at
the end, every notice on record is applied again, so a run finishes what an interrupted one
began.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from articles.publishing.models import Publication
from articles.publishing.retractions import source_alerts_apply
from references import services as references
from references.models import Citation


class Command(BaseCommand):
    help = (
        "Refresh citation metadata from PubMed and Crossref, and alert the live pages citing "
        "retracted sources."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-crossref",
            action="store_true",
            help="Ask PubMed only (Crossref adds publishers' and Retraction Watch notices).",
        )

    def handle(self, *args, **options):
        """Refresh, alert, and print a summary; network failures are reported, not fatal."""
        now = timezone.now()
        # Looked up on the module at call time, so tests can swap in fake clients.
        result = references.citations_refresh(
            client=references.pubmed_client_from_settings(),
            crossref=None if options["no_crossref"] else references.crossref_client_from_settings(),
            now=now,
        )
        self.stdout.write(
            f"Checked {result.checked} citation(s); {len(result.updated)} updated; "
            f"{len(result.new_notices)} new notice(s), {len(result.newly_retracted)} retraction(s)."
        )
        for citation in result.new_notices:
            self.stdout.write(
                self.style.WARNING(
                    f"{citation.get_retraction_status_display()}: PMID {citation.pmid} "
                    f"(from {citation.get_retraction_source_display()})"
                )
            )
        with transaction.atomic():
            source_alerts_apply(
                citation_ids=Citation.objects.with_notice().values_list("pk", flat=True), now=now
            )
        under_review = Publication.objects.exclude(source_alerts=[]).order_by("title")
        for record in under_review:
            self.stdout.write(
                f"  under review for a cited source: '{record.title}' (id {record.article_id})"
            )
        if result.missing:
            self.stderr.write(f"No longer in PubMed: PMID {', '.join(result.missing)}")
        if result.failed:
            self.stderr.write(
                f"Could not check {len(result.failed)} citation(s) this time: "
                + "; ".join(result.errors)
            )
