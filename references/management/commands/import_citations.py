"""manage.py import_citations: store citations from PubMed by PMID, or from a PubMed file, or
from a saved Crossref `/works/{doi}` response (a paper cited by DOI).

A file is read whole and every record validated before anything is stored. A file that cannot
be parsed stores nothing. A record that cannot be stored (a DOI longer than 255 characters, a
year that is not four digits) is reported on stderr, one line per record with its position in
the file and its PMID; by default the whole file is then refused (all or nothing), and with
--skip-invalid the other records are stored. Either way the command exits non-zero, so a
script notices.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from references.crossref import CrossrefError, crossref_message_type, parse_works
from references.markers import pmids_from_text
from references.models import Citation
from references.parsers import parse_any
from references.pubmed import MAX_IDS_PER_REQUEST, PubMedError
from references.services import (
    CitationsNotFound,
    CitationsUnavailable,
    citations_ensure,
    citations_import_records,
    citations_import_works,
    citations_validate_records,
    pubmed_client_from_settings,
)

IMPORT_CHUNK = 500


class Command(BaseCommand):
    """Import citations by PMID (from PubMed) or from a saved PubMed file."""

    help = (
        "Import citations: PMIDs (or PubMed links) as arguments are fetched from PubMed; "
        "--file imports a saved EFetch XML, MEDLINE (.nbib) or ESummary JSON file, or a "
        "Crossref /works JSON response, without network. Every record of the file is "
        "checked first: a malformed file stores nothing; "
        "records that cannot be stored are listed on stderr and, unless --skip-invalid is "
        "given, nothing is stored. The command exits with status 1 whenever a record was "
        "not imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """PMIDs as positional arguments, or --file."""
        parser.add_argument("pmids", nargs="*", help="PMIDs or PubMed URLs to fetch.")
        parser.add_argument(
            "--file",
            type=Path,
            help="A PubMed EFetch XML, MEDLINE or ESummary JSON file, or a Crossref work JSON.",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="With --file: store the valid records even if some cannot be stored (those "
            "are listed, and the command still exits with status 1).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bar."
        )

    def handle(
        self,
        *args,
        pmids: list[str],
        file: Path | None,
        skip_invalid: bool,
        no_progress: bool,
        **options,
    ):
        """Run the file import or the PubMed fetch."""
        if bool(pmids) == bool(file):
            raise CommandError("Give either PMIDs or --file (one of the two).")
        if skip_invalid and not file:
            raise CommandError("--skip-invalid applies to --file only.")
        disable = no_progress or options.get("verbosity", 1) < 1
        if file:
            self._import_file(file, skip_invalid=skip_invalid, disable=disable)
        else:
            self._fetch(pmids, disable=disable)

    def _import_file(self, path: Path, *, skip_invalid: bool, disable: bool) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        if crossref_message_type(data):
            self._import_crossref(path, data)
            return
        try:
            # The whole file is parsed before anything is stored: a malformed file stores nothing.
            records = parse_any(data)
        except PubMedError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was imported.") from exc
        # Every record is checked before any is stored, so that all the bad ones are reported
        # together and the default (all or nothing) never leaves half a file behind.
        problems = citations_validate_records(records=records, source=Citation.Source.FILE)
        for problem in problems:
            self.stderr.write(f"{path.name}: {problem}")
        if problems and not skip_invalid:
            raise CommandError(
                f"{path.name}: {len(problems)} of {len(records)} record(s) cannot be stored "
                "(listed above). Nothing was imported. Correct the file, or use --skip-invalid "
                "to import the other records."
            )
        invalid = {problem.position for problem in problems}
        records = [record for number, record in enumerate(records, 1) if number not in invalid]
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
        if problems:
            # After the transaction committed: the valid records stay stored.
            raise CommandError(
                f"{path.name}: {len(problems)} record(s) were not imported (listed above)."
            )

    def _import_crossref(self, path: Path, data: bytes) -> None:
        """A saved Crossref response: all of its works are stored, or none."""
        try:
            works = parse_works(data)
            result = citations_import_works(works=works)
        except CrossrefError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was imported.") from exc
        except ValidationError as exc:
            raise CommandError(
                f"{path.name}: {' '.join(exc.messages)} Nothing was imported."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(works)} Crossref work(s) from {path.name}: "
                f"{len(result.created)} new, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged."
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
