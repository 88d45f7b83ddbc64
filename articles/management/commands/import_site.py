"""manage.py import_site: bring pages across from a previous site as drafts (docs/import-site.md).

Each page of the JSON file is checked and stored on its own (`articles.content.site_import`):
problems are listed on stderr by page, line and slug, the good pages are stored as drafts, and
the command exits non-zero when any page was refused. Nothing is signed or published.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.content.models import Contributor
from articles.content.site_import import (
    MAX_FILE_BYTES,
    SiteFileError,
    site_file_read,
    site_import,
    site_import_fetch,
    too_large_message,
)
from references.services import pubmed_client_from_settings


class Command(BaseCommand):
    """Import pages from a previous site's JSON export as drafts awaiting medical review."""

    help = (
        "Import pages from a JSON file (format: docs/import-site.md) as drafts. Every page is "
        "checked and stored on its own: refused pages are listed on stderr and the command then "
        "exits with status 1. References must already be in the citation library "
        "(manage.py import_citations), or use --fetch. Nothing is signed or published: a "
        "physician reviews each page here before it goes live."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """The file, and the options."""
        parser.add_argument("file", type=Path, help="The JSON file of pages.")
        parser.add_argument(
            "--user",
            required=True,
            help="The editor's login the drafts are made by (that login cannot sign them).",
        )
        parser.add_argument(
            "--author", help="Slug of the contributor credited as the pages' writer."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every page exactly as an import would, and store nothing.",
        )
        parser.add_argument(
            "--fetch",
            action="store_true",
            help="Fetch the cited PMIDs missing from the citation library from PubMed first "
            "(before any page is stored).",
        )

    def handle(self, *args, file: Path, user: str, author: str | None, **options):
        """Read, check and import the file."""
        dry_run, fetch = options["dry_run"], options["fetch"]
        if dry_run and fetch:
            raise CommandError("--fetch stores citations, so it cannot go with --dry-run.")
        editor = self._editor(user)
        contributor = self._author(author) if author else None
        pages = self._read(file)
        if fetch:
            for message in site_import_fetch(pages, client=pubmed_client_from_settings()):
                self.stderr.write(f"{file.name}: {message}")
        outcomes = site_import(pages, user=editor, author=contributor, dry_run=dry_run)
        for outcome in outcomes:
            for warning in outcome.warnings:
                self.stdout.write(self.style.WARNING(f"{file.name}: {outcome.label}: {warning}"))
            for problem in outcome.problems:
                self.stderr.write(f"{file.name}: {outcome.label}: {problem}")
            if outcome.article_id:
                self.stdout.write(f"{file.name}: {outcome.label}: imported as a draft")
        refused = sum(outcome.refused for outcome in outcomes)
        good = len(outcomes) - refused
        if dry_run:
            self.stdout.write(
                f"Dry run: {good} of {len(outcomes)} page(s) would be imported; nothing was stored."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {good} of {len(outcomes)} page(s) as drafts. None is public: send "
                    "each for medical review, and publish it once a physician has approved it."
                )
            )
        if refused:
            # After the good pages were stored (each in its own transaction): they stay.
            raise CommandError(
                f"{file.name}: {refused} page(s) refused (listed above); nothing was stored for "
                "them. Correct them and import them again."
            )

    def _editor(self, username: str):
        editor = get_user_model().objects.filter(username=username).first()
        if editor is None:
            raise CommandError(f"No login named '{username}'.")
        if not (editor.is_active and editor.is_staff and editor.has_perm("articles.add_article")):
            raise CommandError(
                f"'{username}' may not create articles: give the login of an active editor."
            )
        return editor

    def _author(self, slug: str) -> Contributor:
        contributor = Contributor.objects.filter(slug=slug).first()
        if contributor is None:
            raise CommandError(
                f"No contributor with the slug '{slug}': add them in the admin first."
            )
        return contributor

    def _read(self, path: Path):
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise CommandError(f"{path.name}: {too_large_message(size)} Nothing was imported.")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            return site_file_read(data)
        except SiteFileError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was imported.") from exc
