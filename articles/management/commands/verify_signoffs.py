"""
`manage.py verify_signoffs`: detect sign-offs, signed revisions or live pages changed behind the
application's back.

Checks every sign-off record's site signature (the key is outside the database), the hash chain,
the passkey signatures (checked again with each physician's passkey), the revisions they
signed, the log head written outside the database after each signature (or a tree head saved
from the public log, `--tree-head FILE`), every revision's content hash, and
that every live page points at a revision with a valid approval. Exits non-zero naming each
record that does not verify, and writes the finding to the audit trail (tamper_detected).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Exists, OuterRef

from articles.content.models import Article, ArticleRevision
from articles.publishing.models import Publication
from articles.publishing.publication import publication_intact, publication_sync
from reviews.models import AuditEvent, SignOff
from reviews.services import (
    audit_record,
    signoff_chain_verify,
    signoff_passkeys_verify,
    signoff_revisions_verify,
)
from reviews.services.integrity import signoff_log_head_verify


class Command(BaseCommand):
    help = "Verify every sign-off's signature and chain, signed revisions, and live pages."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-audit",
            action="store_true",
            help="Report problems without recording them in the audit trail.",
        )
        parser.add_argument(
            "--tree-head",
            metavar="FILE",
            help="A signed tree head saved earlier from /transparency/tree-head.json: check that "
            "the database's log still extends it.",
        )

    def handle(self, *args, no_audit=False, tree_head=None, **options):
        saved_head = None
        if tree_head:
            try:
                saved_head = json.loads(Path(tree_head).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the tree head {tree_head}: {error}") from error
        problems = signoff_chain_verify() + signoff_passkeys_verify() + signoff_revisions_verify()
        problems += signoff_log_head_verify()
        if saved_head is not None:
            problems += signoff_log_head_verify(saved_head)
        problems += self.unsigned_revisions_verify(already_named=" ".join(problems))
        problems += self.live_pages_verify()
        problems += self.publications_verify()
        count = SignOff.objects.count()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            if not no_audit:
                audit_record(
                    action=AuditEvent.Action.TAMPER_DETECTED,
                    message=f"verify_signoffs found {len(problems)} problem(s).",
                    data={"problems": problems},
                )
            raise CommandError(
                f"{len(problems)} problem(s) in {count} sign-off(s): see above. The records "
                "named were changed outside the application."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{count} sign-off(s) verified: signatures, chain and signed content intact."
            )
        )

    def unsigned_revisions_verify(self, *, already_named: str) -> list[str]:
        """Every revision's stored content against its stored hash, signed or not."""
        problems = []
        for revision in ArticleRevision.objects.order_by("pk").iterator(chunk_size=500):
            actual = revision.compute_hash()
            if actual != revision.content_hash and f"revision {revision.pk} " not in already_named:
                problems.append(
                    f"Revision {revision.pk} (article {revision.article_id}, number "
                    f"{revision.number}) now hashes to {actual[:12]}…, not its recorded "
                    f"content_hash {revision.content_hash[:12]}…."
                )
        return problems

    def publications_verify(self) -> list[str]:
        """
        Every publication record: its seal and HTML hash hold, and its revision still hashes
        to what was signed. A failing record is named and derived again from the signed
        sources (which withdraws it from every public page when the revision was changed).
        """
        problems = []
        for record in Publication.objects.select_related("revision").iterator(chunk_size=200):
            if publication_intact(record):
                continue
            problems.append(
                f"Publication record of article {record.article_id} ('{record.slug}') does not "
                "verify (changed behind the app's back); it was derived again from the signed "
                "sources."
            )
            with transaction.atomic():
                publication_sync(article=Article(pk=record.article_id))
        return problems

    def live_pages_verify(self) -> list[str]:
        """Every article with a live revision: a valid approval covers that revision."""
        approved = SignOff.objects.valid_approvals().filter(revision_id=OuterRef("live_revision"))
        unsigned = (
            Article.objects.filter(live_revision__isnull=False)
            .exclude(Exists(approved))
            .values_list("pk", "slug", "live_revision_id")
        )
        return [
            f"Article {pk} ('{slug}') points its live revision at revision {revision_id}, which "
            "no valid physician approval covers (set behind the app's back); the public gate "
            "does not show it."
            for pk, slug, revision_id in unsigned
        ]
