"""
`manage.py signing_key_create PATH`: write a new Ed25519 signing key (PKCS#8 PEM) to PATH.

The file is created readable by its owner only and never overwritten: rotating a key is a
deliberate act (see the README: move the old public key to SIGNING_RETIRED_PUBLIC_KEYS_FILE).
`--if-missing` makes it a no-op when the file exists (what `make run` uses for the development
key). `--print-public` prints the public key, to publish or archive.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError

from reviews import keys


class Command(BaseCommand):
    help = "Create the site's Ed25519 signing key file (never in the database)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write the private key (PEM).")
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing if the file already exists."
        )

    def handle(self, *args, path, if_missing=False, **options):
        target = Path(path)
        if target.exists():
            if if_missing:
                return
            raise CommandError(f"{target} exists; a signing key is never overwritten.")
        target.parent.mkdir(parents=True, exist_ok=True)
        pem = keys.generate_private_key_pem()
        # O_EXCL: never clobber a key created concurrently; 0600: readable by the app only.
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        public = serialization.load_pem_private_key(pem, password=None).public_key()
        self.stdout.write(
            self.style.SUCCESS(f"Signing key written to {target} (key id {keys.key_id(public)}).")
        )
