"""manage.py import_citations: store citations from PubMed by PMID, or from a PubMed file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from references.markers import pmids_from_text
from references.models import Citation
from references.parsers import parse_any
from references.pubmed import MAX_IDS_PER_REQUEST, PubMedError
from references.services import (
    CitationsNotFound,
    CitationsUnavailable,
    citations_ensure,
    citations_import_records,
    pubmed_client_from_settings,
)

IMPORT_CHUNK = 500


class Command(BaseCommand):
    """Import citations by PMID (from PubMed) or from a saved PubMed file."""

    help = (
        "Import citations: PMIDs (or PubMed links) as arguments are fetched from PubMed; "
        "--file imports a saved EFetch XML, MEDLINE (.nbib) or ESummary JSON file without "
        "network. A malformed file stores nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """PMIDs as positional arguments, or --file."""
        parser.add_argument("pmids", nargs="*", help="PMIDs or PubMed URLs to fetch.")
        parser.add_argument(
            "--file", type=Path, help="A PubMed EFetch XML, MEDLINE or ESummary JSON file."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bar."
        )

    def handle(self, *args, pmids: list[str], file: Path | None, no_progress: bool, **options):
        """Run the file import or the PubMed fetch."""
        if bool(pmids) == bool(file):
            raise CommandError("Give either PMIDs or --file (one of the two).")
        disable = no_progress or options.get("verbosity", 1) < 1
        if file:
            self._import_file(file, disable=disable)
        else:
            self._fetch(pmids, disable=disable)

    def _import_file(self, path: Path, *, disable: bool) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            # The whole file is parsed before anything is stored: a malformed file stores nothing.
            records = parse_any(data)
        except PubMedError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was imported.") from exc
        created = updated = 0
        with (
            transaction.atomic(),
            tqdm(total=len(records), unit="record", desc="Importing", disable=disable) as progress,
        ):
            for start in range(0, len(records), IMPORT_CHUNK):
                chunk = records[start : start + IMPORT_CHUNK]
                result = citations_import_records(records=chunk, source=Citation.Source.FILE)
                created += len(result.created)
                updated += len(result.updated)
                progress.update(len(chunk))
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(records)} record(s) from {path.name}: "
                f"{created} new, {updated} updated, {len(records) - created - updated} unchanged."
            )
        )

    def _fetch(self, values: list[str], *, disable: bool) -> None:
        pmids, invalid = pmids_from_text(" ".join(values))
        if invalid:
            raise CommandError("Not valid PMIDs: " + ", ".join(invalid))
        client = pubmed_client_from_settings()
        known = set(Citation.objects.filter(pmid__in=pmids).values_list("pmid", flat=True))
        added: list[str] = []
        with tqdm(total=len(pmids), unit="PMID", desc="Fetching", disable=disable) as progress:
            for start in range(0, len(pmids), MAX_IDS_PER_REQUEST):
                batch = pmids[start : start + MAX_IDS_PER_REQUEST]
                try:
                    citations_ensure(pmids=batch, client=client)
                except CitationsNotFound as exc:
                    raise CommandError(
                        f"PubMed has no record for PMID {', '.join(exc.pmids)}. "
                        f"Stored before this batch: {', '.join(added) or 'nothing'}."
                    ) from exc
                except CitationsUnavailable as exc:
                    raise CommandError(
                        f"{exc} Stored before the failure: {', '.join(added) or 'nothing'}."
                    ) from exc
                added.extend(pmid for pmid in batch if pmid not in known)
                progress.update(len(batch))
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(added)} citation(s) added, {len(pmids) - len(added)} already present."
            )
        )
