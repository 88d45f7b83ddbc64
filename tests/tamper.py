"""
Play "someone with database access": change rows behind the application's back.

The database refuses UPDATE and DELETE on append-only tables (triggers), and the test suite's
own role cannot turn them off, which is the point. An attacker who owns the database can, so
the tests that prove tampering is *detected* go around the triggers here, as that attacker
would: on SQLite by dropping the table's triggers for the statement and recreating them; on
PostgreSQL by running the statement with triggers disabled for the session (as the owner
does with `session_replication_role`), which only works when the suite runs as an owner.
"""

from __future__ import annotations

import re

from django.db import connection

_TABLE = re.compile(r"^\s*(?:UPDATE|DELETE\s+FROM|INSERT\s+INTO)\s+(\w+)", re.IGNORECASE)


def tamper(sql: str, params=()) -> int:
    """
    Run ``sql`` (an UPDATE, DELETE or INSERT on one table) around its triggers.

    Fails when no row was touched: on PostgreSQL the owner's connection sees only committed
    rows, so a test that forgot ``django_db(transaction=True)`` would otherwise prove nothing.
    """
    count = _tamper(sql, params)
    assert count > 0, f"Tampering touched no row: {sql}"
    return count


def _tamper(sql: str, params=()) -> int:
    match = _TABLE.match(sql)
    if match is None:
        raise ValueError(f"Not a single-table write: {sql}")
    table = match.group(1)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [table],
            )
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            try:
                cursor.execute(sql, params)
                return cursor.rowcount
            finally:
                for _, create in triggers:
                    cursor.execute(create)
        return _tamper_postgresql(cursor, sql, params)


def _tamper_postgresql(cursor, sql, params) -> int:
    from tests import owner_access

    return owner_access.execute_as_owner(cursor, sql, params)


def forge_signoff(
    *, after, revision, decision: str = "approved", content_hash: str = "", signer=None
):
    """
    What an attacker with database access can write: an approval of ``revision``, chained
    correctly after ``after`` (the chain head) and signed with a key of their own, since they
    do not have the site's. Saved through the ORM (an insert is allowed). It names the same
    physician and login as ``after`` and claims the revision's hash, unless ``content_hash``
    or ``signer`` (a login) say otherwise.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.utils import timezone

    from reviews import keys
    from reviews.models import SignOff

    forged = SignOff(
        revision=revision,
        reviewer=after.reviewer,
        signer=signer or after.signer,
        printed_name=after.printed_name,
        credentials=after.credentials,
        signed_at=timezone.now(),
        decision=decision,
        meaning=after.meaning,
        content_hash=content_hash or revision.content_hash,
        previous_hash=after.record_hash,
        article_id_signed=revision.article_id,
        revision_number=revision.number,
        key_id=after.key_id,
    )
    forged.record_hash = forged.compute_record_hash()
    own_key = Ed25519PrivateKey.generate()
    forged.signature = keys.b64url(own_key.sign(forged.canonical_bytes()))
    forged.public_signature = keys.b64url(own_key.sign(forged.public_bytes()))
    forged.save()
    return forged
