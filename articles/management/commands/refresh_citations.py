"""
Re-check every PubMed citation and flag the live articles that cite a newly retracted paper.

Run daily from cron. PubMed is reached only here and in admin actions, never while a page is
rendered. A flagged article shows in the admin list and the review queue with the reason.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.content.models import Article, RevisionCitation
from references import services as references
from reviews.models import AuditEvent
from reviews.services import audit_record


class Command(BaseCommand):
    help = "Refresh citation metadata from PubMed and flag live articles citing retracted papers."

    def handle(self, *args, **options):
        """Refresh, flag, and print a summary; PubMed failures are reported, not fatal."""
        now = timezone.now()
        # Looked up on the module at call time, so tests can swap in a fake client.
        result = references.citations_refresh(
            client=references.pubmed_client_from_settings(), now=now
        )
        self.stdout.write(
            f"Checked {result.checked} citation(s); {len(result.updated)} updated; "
            f"{len(result.newly_retracted)} newly retracted."
        )
        for citation in result.newly_retracted:
            self.stdout.write(self.style.WARNING(f"Retracted: PMID {citation.pmid}"))
            for article in flag_citing_articles(citation=citation):
                self.stdout.write(f"  flagged for review: '{article.title}' (id {article.pk})")
        if result.missing:
            self.stderr.write(f"No longer in PubMed: PMID {', '.join(result.missing)}")
        if result.failed:
            self.stderr.write(
                f"Could not check {len(result.failed)} citation(s) this time: "
                + "; ".join(result.errors)
            )


def retraction_reason(citation) -> str:
    """The editor-facing reason an article is flagged for citing `citation`."""
    notice = (
        f" (retraction notice: PMID {citation.retraction_notice_pmid})"
        if citation.retraction_notice_pmid
        else ""
    )
    return (
        f"The live page cites PMID {citation.pmid}, which PubMed now marks as retracted"
        f"{notice}. Remove or replace the citation and send the page for review."
    )


@transaction.atomic
def flag_citing_articles(*, citation) -> list[Article]:
    """
    Flag for review every live article whose live revision cites `citation`.

    The reason is appended to any existing one (an article already flagged for this PMID is
    left alone). `updated_at` moves (so only an approval signed
    after this clears the flag, see `articles.publishing.workflow`) and so does `version`, so that
    an editor whose form was opened before now cannot save the flag away unnoticed.
    """
    # A subquery rather than a join: PostgreSQL refuses FOR UPDATE together with DISTINCT.
    citing = RevisionCitation.objects.filter(citation=citation).values("revision_id")
    articles = list(Article.objects.select_for_update().filter(live_revision_id__in=citing))
    reason = retraction_reason(citation)
    flagged = []
    for article in articles:
        if reason in article.needs_review_reason:
            continue
        article.needs_review = True
        article.needs_review_reason = "\n".join(
            part for part in (article.needs_review_reason.strip(), reason) if part
        )
        # `updated_at` is auto_now: saving it moves it to now.
        article.version = F("version") + 1
        article.full_clean(exclude=["version"])
        article.save(update_fields=["needs_review", "needs_review_reason", "updated_at", "version"])
        audit_record(
            action=AuditEvent.Action.FLAGGED,
            message=f"'{article.slug}' flagged for medical review: {reason}",
            article=article,
            revision=article.live_revision,
            data={"pmid": citation.pmid},
        )
        flagged.append(article)
    return flagged
