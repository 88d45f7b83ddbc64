"""Tamper evidence: recompute the sign-off chain and the hashes of signed revisions."""

from __future__ import annotations

from reviews.models import SignOff


def signoff_chain_verify() -> list[str]:
    """
    Recompute every sign-off's record hash and the links between them; list the problems.

    An empty list means the chain is intact. A record changed behind the app's back no longer
    matches its `record_hash`; a record removed or inserted breaks the `previous_hash` link of
    the one after it. (Changing the newest record *and* its hash is only detectable against a
    copy of the head hash kept elsewhere: `verify_signoffs` prints it for that purpose.)
    """
    problems: list[str] = []
    expected_previous, previous_pk = "", None
    for signoff in SignOff.objects.order_by("pk").iterator():
        if signoff.compute_record_hash() != signoff.record_hash:
            problems.append(
                f"SignOff #{signoff.pk}: its contents no longer match its record hash "
                f"{signoff.record_hash[:12]}… (changed after signing)."
            )
        if signoff.previous_hash != expected_previous:
            before = f"SignOff #{previous_pk}" if previous_pk else "the start of the chain"
            problems.append(
                f"SignOff #{signoff.pk}: previous_hash does not link to {before} "
                "(a record was changed, removed or inserted)."
            )
        expected_previous, previous_pk = signoff.record_hash, signoff.pk
    return problems


def signoff_revisions_verify() -> list[str]:
    """
    Check that every signed revision's stored content still hashes to what was signed.

    For each sign-off, the revision's snapshot is hashed again and compared with both the
    revision's `content_hash` and the hash recorded in the sign-off.
    """
    problems: list[str] = []
    for signoff in SignOff.objects.select_related("revision").order_by("pk").iterator():
        revision = signoff.revision
        actual = revision.compute_hash()
        if actual != revision.content_hash:
            problems.append(
                f"SignOff #{signoff.pk}: revision {revision.pk} (article {revision.article_id}, "
                f"number {revision.number}) now hashes to {actual[:12]}…, not its recorded "
                f"content_hash {revision.content_hash[:12]}…."
            )
        if actual != signoff.content_hash:
            problems.append(
                f"SignOff #{signoff.pk}: signed content hash {signoff.content_hash[:12]}… but "
                f"revision {revision.pk} now hashes to {actual[:12]}…."
            )
    return problems
