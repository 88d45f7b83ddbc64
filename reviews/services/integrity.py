"""
Tamper evidence: check every sign-off record's site signature, the chain between them, the
revisions they signed, and the log head kept outside the database.

Each function returns a list of problems, one sentence each, naming the record concerned; an
empty list means nothing was found. `manage.py verify_signoffs` runs them all.
"""

from __future__ import annotations

from reviews import keys, log, transparency
from reviews.models import SignOff
from reviews.passkeys import PasskeyInvalid, assertion_verify, credential_id_of, signing_challenge


def signoff_signature_holds(signoff: SignOff) -> bool:
    """
    Whether a sign-off is as the signing service made it: its record hash matches, and the
    site's signatures of the record and of its public part verify with the site's keys.

    Records made before site signatures (version 1) hold only at the start of the chain, before
    the first signed record: each signed record's signature covers the link to the one before,
    so an unsigned record cannot be slipped in later.
    """
    if signoff.compute_record_hash() != signoff.record_hash:
        return False
    if signoff.version < 2:
        return not SignOff.objects.filter(pk__lt=signoff.pk, version__gte=2).exists()
    return keys.verify(
        kid=signoff.key_id, data=signoff.canonical_bytes(), signature=signoff.signature
    ) and keys.verify(
        kid=signoff.key_id, data=signoff.public_bytes(), signature=signoff.public_signature
    )


def signoff_chain_verify() -> list[str]:
    """
    Every sign-off's site signature, record hash, and link to the one before; the problems.

    A record inserted, or rewritten with every hash recomputed, has no valid signature: only
    the site key (outside the database) can make one. A record removed from the middle breaks
    the `previous_hash` link of the next. (Removing the *newest* records leaves a valid shorter
    chain: `signoff_log_head_verify` catches that against the head kept outside the database.)
    """
    problems: list[str] = []
    expected_previous, previous_pk, signed_seen = "", None, False
    signers: dict[int, tuple[int, int]] = {}
    for signoff in SignOff.objects.order_by("pk").iterator():
        name = f"SignOff #{signoff.pk} ({signoff.get_decision_display().lower()} by "
        name += f"{signoff.display_name}, {signoff.signed_at:%Y-%m-%d %H:%M %Z})"
        if signoff.compute_record_hash() != signoff.record_hash:
            problems.append(
                f"{name}: its contents no longer match its record hash "
                f"{signoff.record_hash[:12]}… (changed after signing)."
            )
        if signoff.version < 2:
            # Made before site signatures: acceptable only before the first signed record.
            if signed_seen:
                problems.append(
                    f"{name}: it carries no site signature but follows signed records "
                    "(inserted outside the app)."
                )
        elif not (
            keys.verify(
                kid=signoff.key_id, data=signoff.canonical_bytes(), signature=signoff.signature
            )
            and keys.verify(
                kid=signoff.key_id,
                data=signoff.public_bytes(),
                signature=signoff.public_signature,
            )
        ):
            problems.append(
                f"{name}: its site signature does not verify with key {signoff.key_id or '?'} "
                "(forged, or rewritten after signing)."
            )
        signed_seen = signed_seen or signoff.version >= 2
        # A profile signs with one login only: a second login means it was re-pointed.
        first = signers.setdefault(signoff.reviewer_id, (signoff.signer_id, signoff.pk))
        if first[0] != signoff.signer_id:
            problems.append(
                f"{name}: signed by login {signoff.signer_id}, but the same reviewer profile "
                f"signed SignOff #{first[1]} with login {first[0]} (the profile was re-pointed "
                "to another login)."
            )
        if signoff.previous_hash != expected_previous:
            before = f"SignOff #{previous_pk}" if previous_pk else "the start of the chain"
            problems.append(
                f"{name}: previous_hash does not link to {before} "
                "(a record was changed, removed or inserted)."
            )
        expected_previous, previous_pk = signoff.record_hash, signoff.pk
    return problems


def signoff_passkeys_verify() -> list[str]:
    """
    Every sign-off made with a passkey, checked again with that passkey's public key: the
    device's signature must cover this record's revision, content hash, decision, meaning and
    request. Neither the site's key nor the database can make one, so a record rewritten and
    re-signed with the site key still fails here.
    """
    problems: list[str] = []
    signed = SignOff.objects.filter(version__gte=SignOff.PASSKEY_RECORD_VERSION)
    for signoff in signed.select_related("passkey").order_by("pk").iterator():
        name = f"SignOff #{signoff.pk} ({signoff.get_decision_display().lower()} by "
        name += f"{signoff.display_name}, {signoff.signed_at:%Y-%m-%d %H:%M %Z})"
        record = signoff.passkey_assertion if isinstance(signoff.passkey_assertion, dict) else {}
        passkey = signoff.passkey
        if passkey is None or not record:
            problems.append(f"{name}: marked as signed with a passkey, but carries none.")
            continue
        if passkey.profile_id != signoff.reviewer_id:
            problems.append(f"{name}: its passkey belongs to another physician's profile.")
            continue
        assertion = record.get("credential")
        if credential_id_of(assertion) != passkey.credential_id:
            problems.append(f"{name}: its assertion names another credential than its passkey.")
            continue
        challenge = signing_challenge(
            revision_id=signoff.revision_id,
            content_hash=signoff.content_hash,
            decision=str(signoff.decision),
            meaning=signoff.meaning,
            request_id=record.get("request_id"),
            nonce=str(record.get("nonce", "")),
        )
        try:
            assertion_verify(
                assertion=assertion,
                passkey=passkey,
                challenge=challenge,
                rp_id=str(record.get("rp_id", "")),
                origin=str(record.get("origin", "")),
            )
        except PasskeyInvalid as error:
            problems.append(
                f"{name}: the physician's passkey “{passkey.name}” did not sign this record "
                f"({error})."
            )
    return problems


def signoff_revisions_verify() -> list[str]:
    """
    Every signed revision against its sign-offs: the same article and number as signed, and
    stored content that still hashes to both the revision's `content_hash` and the signed hash.
    """
    problems: list[str] = []
    for signoff in SignOff.objects.select_related("revision").order_by("pk").iterator():
        revision = signoff.revision
        if signoff.version >= 2 and (
            signoff.article_id_signed != revision.article_id
            or signoff.revision_number != revision.number
        ):
            problems.append(
                f"SignOff #{signoff.pk}: signed revision {signoff.revision_number} of article "
                f"{signoff.article_id_signed}, but points at revision {revision.number} of "
                f"article {revision.article_id} (re-pointed behind the app's back)."
            )
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


def signoff_log_head_verify(head: dict | None = None) -> list[str]:
    """
    The database's log against a signed tree head saved elsewhere: by default the one written
    outside the database after each signature (`SIGNOFF_LOG_HEAD_FILE`), or ``head`` (for
    example one saved from the public `/transparency/tree-head.json`).

    Names the records deleted when the database holds fewer entries than the head covers, and
    reports rewritten history when the first entries no longer have the head's root.
    """
    source = "the log head written outside the database"
    if head is None:
        head = log.read_head_file()
        if head is None:
            return []
    else:
        source = "the saved tree head"
    try:
        payload = log.verify_tree_head(head)
    except ValueError as error:
        return [f"{source[0].upper()}{source[1:]} does not verify: {error}"]
    size = int(payload["tree_size"])
    state = log.log_state()
    if state.size < size:
        newest = head.get("newest") or {}
        named = (
            f" The newest was SignOff #{newest.get('signoff_id')} (record hash "
            f"{str(newest.get('record_hash', ''))[:12]}…, signed {newest.get('signed_at')})."
            if newest and newest.get("signoff_id") and size == state.size + 1
            else ""
        )
        return [
            f"Sign-off records were deleted: {source} ({payload['timestamp']}) covers "
            f"{size} records, the database holds {state.size}. Missing: the records at "
            f"positions {state.size + 1}–{size} of the log.{named}"
        ]
    root = transparency.hash_to_hex(state.root(size))
    if root != payload["root_hash"]:
        return [
            f"The first {size} sign-off records were rewritten: {source} "
            f"({payload['timestamp']}) has root {payload['root_hash'][:12]}…, the database's "
            f"first {size} records give {root[:12]}…."
        ]
    return []
