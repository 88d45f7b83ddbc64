"""
The public log of sign-offs: an append-only Merkle tree in the manner of Certificate
Transparency (RFC 9162), with signed tree heads.

Every sign-off, in signing order, is one leaf. A leaf is the canonical JSON of the record's
public part (`entry`): who signed what, when, meaning what, and the record's own hash and
site signature. The tree's root over the first *n* leaves, signed with the site key, is the
*signed tree head* for size *n*; it is published (`/transparency/tree-head.json`, and in the
feed) and written outside the database after every signature (`SIGNOFF_LOG_HEAD_FILE`).

Anyone who saved a tree head can later ask for a consistency proof to the current head: if any
earlier record was changed, removed or reordered, however carefully its hashes were recomputed
in the database, the proof fails. An inclusion proof shows one record is in the published tree.
The tree arithmetic is `reviews.transparency`; this module maps sign-offs onto it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from joserfc import jws

from reviews import keys, transparency
from reviews.models import SignOff

logger = logging.getLogger(__name__)

# The JWS "typ" of a signed tree head, so it cannot be confused with a page attestation.
TREE_HEAD_TYPE = "signoff-log-tree-head+jwt"


def entry(signoff: SignOff) -> dict[str, Any]:
    """
    The public part of one sign-off record: what the log's leaf commits to.

    The record's public part (`SignOff.public_record`) with its id and the site's signature
    of that part (`public_signature`), which anyone can check against the published keys: a
    row forged in the database has none that verifies. The reviewer's comment to the editors
    stays private; `record_hash` commits the entry to the complete record.
    """
    return {
        **signoff.public_record(),
        "signoff_id": signoff.pk,
        "public_signature": signoff.public_signature,
    }


def public_signature_verifies(data: dict[str, Any]) -> bool:
    """Whether an entry's `public_signature` is the site's signature of its public part."""
    public = {k: v for k, v in data.items() if k not in ("signoff_id", "public_signature")}
    return keys.verify(
        kid=str(data.get("key_id") or ""),
        data=keys.canonical_json(public),
        signature=str(data.get("public_signature") or ""),
    )


def entry_bytes(data: dict[str, Any]) -> bytes:
    """The canonical JSON of an entry (sorted keys, no spaces, UTF-8): the leaf's data."""
    return keys.canonical_json(data)


_ENTRY_FIELDS = (
    "pk",
    "article_id_signed",
    "revision_number",
    "content_hash",
    "decision",
    "meaning",
    "printed_name",
    "credentials",
    "signed_at",
    "record_hash",
    "previous_hash",
    "key_id",
    "public_signature",
)


def signoffs_in_log_order():
    """Every sign-off in signing order (the chain is written under a lock, so by id)."""
    return SignOff.objects.order_by("pk").only(*_ENTRY_FIELDS)


@dataclass(frozen=True)
class LogState:
    """The log as the database holds it now: the entries and their leaf hashes, in order."""

    entries: list[dict[str, Any]]
    leaf_hashes: list[bytes]

    @property
    def size(self) -> int:
        return len(self.leaf_hashes)

    def root(self, size: int | None = None) -> bytes:
        """The tree's root over the first ``size`` leaves (all by default)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"The log holds {self.size} entries, not {size}.")
        return transparency.root_from_leaf_hashes(self.leaf_hashes[:size])


def log_state() -> LogState:
    """Read the whole log (one query) and hash its leaves."""
    entries = [entry(signoff) for signoff in signoffs_in_log_order().iterator(chunk_size=2000)]
    return LogState(
        entries=entries,
        leaf_hashes=[transparency.leaf_hash(entry_bytes(item)) for item in entries],
    )


def entry_index(signoff: SignOff) -> int:
    """The 0-based position of ``signoff`` in the log."""
    return SignOff.objects.filter(pk__lt=signoff.pk).count()


def tree_head_payload(state: LogState, *, size: int | None = None, now: datetime) -> dict:
    """The fields of a tree head: size, root, when it was signed and by which key."""
    size = state.size if size is None else size
    return _payload(size=size, root_hash=transparency.hash_to_hex(state.root(size)), now=now)


def _payload(*, size: int, root_hash: str, now: datetime) -> dict:
    return {
        "log": f"{settings.SITE_URL}/transparency/",
        "tree_size": size,
        "root_hash": root_hash,
        "hash_alg": "sha-256",
        "leaf_format": "RFC 9162 leaf hash of the canonical JSON of each entry",
        "timestamp": now.astimezone(UTC).isoformat(),
        "key_id": keys.active_key_id(),
    }


def signed_tree_head(state: LogState, *, size: int | None = None, now: datetime) -> dict:
    """``{"jws": compact, "payload": {...}}`` for the tree of the first ``size`` entries."""
    payload = tree_head_payload(state, size=size, now=now)
    return {"jws": keys.sign_jws(payload, typ=TREE_HEAD_TYPE), "payload": payload}


def latest_signed_tree_head() -> dict:
    """
    The signed tree head of the whole log, dated by its newest entry (so the same log gives
    the same bytes), for pages read often (the feed). The root is kept in the cache under the
    log's size and newest record hash: a page view reads two small rows instead of hashing the
    whole log. (The proofs under /transparency/ always read the log afresh.)
    """
    newest = SignOff.objects.order_by("-pk").only("record_hash", "signed_at").first()
    if newest is None:
        state = LogState(entries=[], leaf_hashes=[])
        return signed_tree_head(state, now=datetime(2000, 1, 1, tzinfo=UTC))
    size = SignOff.objects.count()
    key = f"signoff-log-root:{size}:{newest.record_hash}"
    root_hash = cache.get(key)
    if root_hash is None:
        root_hash = transparency.hash_to_hex(log_state().root(size))
        cache.set(key, root_hash, None)
    payload = _payload(size=size, root_hash=root_hash, now=newest.signed_at)
    return {"jws": keys.sign_jws(payload, typ=TREE_HEAD_TYPE), "payload": payload}


def verify_tree_head(tree_head: dict) -> dict:
    """
    The payload of a saved signed tree head, after checking its signature with the site's
    public keys (active or retired). Raises ValueError when it does not verify.
    """
    try:
        token = tree_head["jws"]
        header = jws.extract_compact(token.encode("ascii")).headers()
        kid = header.get("kid", "")
        public = next((k for k in keys.public_keys() if k.kid == kid), None)
        if public is None:
            raise ValueError(f"The tree head was signed with an unknown key {kid!r}.")
        from joserfc.jwk import OKPKey

        result = jws.deserialize_compact(
            token, OKPKey.import_key(public.key), algorithms=[keys.JWS_ALGORITHM]
        )
        return json.loads(result.payload)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"Not a signed tree head: {error}") from error
    except Exception as error:  # joserfc raises its own error classes
        if isinstance(error, ValueError):
            raise
        raise ValueError(f"The tree head's signature does not verify: {error}") from error


# --- The head written outside the database --------------------------------------------


def head_file() -> Path | None:
    """Where the newest tree head is written after each signature (``SIGNOFF_LOG_HEAD_FILE``)."""
    path = getattr(settings, "SIGNOFF_LOG_HEAD_FILE", "") or ""
    return Path(path) if path else None


def write_head_file(*, now: datetime) -> None:
    """
    Write the current signed tree head to `head_file()`, atomically (after a signature).

    This copy lives outside the database, so deleting the newest sign-offs there (which the
    chain alone cannot reveal: what remains is a valid, shorter chain) is caught by
    `verify_signoffs`. A failure to write is logged, never raised: the signature stands.
    """
    path = head_file()
    if path is None:
        return
    try:
        state = log_state()
        previous = read_head_file()
        if previous is not None and not _extends(state, previous):
            # The database no longer extends the head written last time (records deleted or
            # rewritten): keep that evidence rather than overwrite it with the new history.
            logger.critical(
                "The sign-off log no longer extends the head in %s; the head is kept and "
                "verify_signoffs will report it.",
                path,
            )
            return
        head = signed_tree_head(state, now=now)
        head["newest"] = state.entries[-1] if state.entries else None
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, delete=False, encoding="utf-8", suffix=".tmp"
        ) as handle:
            json.dump(head, handle, indent=1, sort_keys=True)
        os.replace(handle.name, path)
    except Exception:  # the signature is made; the head is re-written at the next one
        logger.exception("Could not write the sign-off log head to %s", path)


def _extends(state: LogState, head: dict) -> bool:
    """Whether the log `state` still begins with the tree the saved `head` describes."""
    payload = head.get("payload") or {}
    try:
        size = int(payload["tree_size"])
        return size <= state.size and (
            transparency.hash_to_hex(state.root(size)) == payload["root_hash"]
        )
    except (KeyError, TypeError, ValueError):
        return False


def read_head_file() -> dict | None:
    """The tree head last written outside the database, or None if there is none."""
    path = head_file()
    if path is None or not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
