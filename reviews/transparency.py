"""
A Certificate-Transparency-style Merkle log of sign-offs (RFC 9162, section 2.1), pure Python.

Physicians' sign-off records form an append-only log. From time to time the site publishes a
signed tree head: the number of records so far (the tree size) and the Merkle root over them.
Anyone who saved an earlier head can then check two things without trusting the site:

- with a *consistency proof*, that the new log only appended to the one they saw, so no earlier
  sign-off was altered, removed or reordered;
- with an *inclusion proof*, that one given sign-off record is in the log at a given position.

The hashing is exactly RFC 9162 section 2.1 with SHA-256: a leaf hashes as
``SHA256(0x00 || leaf)``, an inner node as ``SHA256(0x01 || left || right)``, a tree of ``n``
leaves splits at the largest power of two smaller than ``n``, and the empty tree hashes as
``SHA256(b"")``. The proofs and their verification follow sections 2.1.3 and 2.1.4, so any
RFC 9162 / RFC 6962 verifier accepts them.

Convention: every function except `leaf_hash` and `tree_root` takes the list of *leaf hashes*
(32 bytes each), not the records themselves, so callers hash each record once with `leaf_hash`
and keep the hashes. `tree_root` is the RFC's MTH over raw entries, for convenience. In JSON,
hashes are lowercase hex strings (`hash_to_hex`, `proof_to_json` and their inverses).

Functions that build roots and proofs raise ValueError on bad arguments. The two verifiers
raise ValueError only for the caller's own hashes being the wrong shape or a negative size;
anything a log could get wrong (a malformed proof, an index past the tree size, an old size
above the new one) makes them return False, since that is a failed verification, not a bug.

This module imports nothing from Django: it is plain arithmetic over bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

HASH_SIZE = 32
"""Length in bytes of a SHA-256 hash: every leaf hash, node hash, root and proof element."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The Merkle Tree Hash of the empty list, MTH({}) = SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one log entry: SHA-256(0x00 || data)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError(f"a log entry must be bytes, not {type(data).__name__}")
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The RFC's k: the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: object, *, name: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        shape = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise ValueError(f"{name} must be a {HASH_SIZE}-byte SHA-256 hash, got {shape}")


def _check_size(value: object, *, name: str) -> None:
    # bool is an int subclass; True as a tree size is a bug, not a size of 1.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


class _Tree:
    """
    All levels of the tree over a list of leaf hashes, built bottom-up once.

    Level 0 is the leaf hashes; each level above hashes pairs and carries an unpaired last node
    up unchanged. For a left-balanced RFC 9162 tree this gives, at ``levels[j][i]``, exactly
    MTH of the leaves ``[i * 2**j, min((i + 1) * 2**j, n))``, so every subtree a proof needs is
    a lookup and building costs n - 1 hashes instead of one recursion per proof node.
    """

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        for position, value in enumerate(leaf_hashes):
            _check_hash(value, name=f"leaf hash at index {position}")
        level = list(leaf_hashes)
        self.size = len(level)
        self.levels = [level]
        while len(level) > 1:
            paired = [_node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                paired.append(level[-1])
            level = paired
            self.levels.append(level)

    def root(self) -> bytes:
        return self.levels[-1][0] if self.size else EMPTY_ROOT

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for 0 <= start < end <= size."""
        width = end - start
        height = (width - 1).bit_length()  # smallest j with 2**j >= width
        span = 1 << height
        # The ranges proofs ask for are whole aligned blocks or aligned blocks cut off by the
        # end of the log; both are one stored node. Anything else falls back to the RFC split.
        if start % span == 0 and (width == span or end == self.size):
            return self.levels[height][start >> height]
        k = _largest_power_of_two_below(width)
        return _node_hash(self.subtree(start, start + k), self.subtree(start + k, end))


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash (RFC 9162 2.1.1) of a log given as its leaf hashes, in order."""
    return _Tree(leaf_hashes).root()


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """
    The Merkle Tree Hash (RFC 9162 2.1.1) of a log given as its raw entries, in order.

    The same as ``root_from_leaf_hashes([leaf_hash(entry) for entry in leaves])``; the rest of
    this module works on leaf hashes so that each record is hashed only once.
    """
    return root_from_leaf_hashes([leaf_hash(entry) for entry in leaves])


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """
    The audit path (RFC 9162 2.1.3.1, PATH) proving leaf ``index`` is in the tree.

    The path runs from the leaf's sibling up to the child of the root, as the RFC orders it.
    A one-leaf tree has an empty path.
    """
    tree = _Tree(leaf_hashes)
    _check_size(index, name="index")
    if index >= tree.size:
        raise ValueError(f"index {index} is out of range for a tree of {tree.size} leaves")
    path: list[bytes] = []
    start, end = 0, tree.size
    # Walk down from the root, keeping the sibling of each subtree that holds the leaf; the RFC
    # recursion appends those on the way back up, hence the reversal.
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index - start < k:
            path.append(tree.subtree(start + k, end))
            end = start + k
        else:
            path.append(tree.subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """
    The proof (RFC 9162 2.1.4.1, PROOF/SUBPROOF) that the first ``old_size`` leaves are a prefix.

    ``old_size`` may be anything from 0 to ``len(leaf_hashes)``. Equal sizes give an empty proof,
    as does an old size of 0: every log extends the empty one.
    """
    tree = _Tree(leaf_hashes)
    _check_size(old_size, name="old_size")
    if old_size > tree.size:
        raise ValueError(
            f"old_size {old_size} is larger than the tree, which has {tree.size} leaves"
        )
    if old_size in (0, tree.size):
        return []
    proof: list[bytes] = []
    m, start, end = old_size, 0, tree.size
    # `complete` is the RFC's flag b: true while the old tree's root is itself a node on the path,
    # in which case the verifier already has it and the proof leaves it out.
    complete = True
    while m != end - start:
        k = _largest_power_of_two_below(end - start)
        if m <= k:
            proof.append(tree.subtree(start + k, end))
            end = start + k
        else:
            proof.append(tree.subtree(start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        proof.append(tree.subtree(start, end))
    proof.reverse()
    return proof


def _proof_is_well_formed(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(
        isinstance(element, bytes) and len(element) == HASH_SIZE for element in proof
    )


def verify_inclusion(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """
    Whether ``proof`` shows ``leaf_hash`` at ``index`` of the tree of ``tree_size`` with ``root``.

    This is the algorithm of RFC 9162 2.1.3.2. A malformed proof, or an index not below the tree
    size, is a failed verification (False). Raises ValueError only if ``leaf_hash`` or ``root``
    is not a 32-byte hash or a number is negative.
    """
    _check_hash(leaf_hash, name="leaf_hash")
    _check_hash(root, name="root")
    _check_size(index, name="index")
    _check_size(tree_size, name="tree_size")
    if index >= tree_size or not _proof_is_well_formed(proof):
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # sn == 0 means the proof climbed all the way to the root, no more and no less.
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """
    Whether ``proof`` shows the tree (``new_size``, ``new_root``) extends (``old_size``,
    ``old_root``), i.e. the log was only appended to.

    This is the algorithm of RFC 9162 2.1.4.2, plus the cases the RFC leaves to the caller:
    equal sizes need an empty proof and equal roots; an old size of 0 needs an empty proof and
    the empty root. A malformed proof, or an old size above the new one, is a failed
    verification (False). Raises ValueError only if a root is not a 32-byte hash or a size is
    negative.
    """
    _check_hash(old_root, name="old_root")
    _check_hash(new_root, name="new_root")
    _check_size(old_size, name="old_size")
    _check_size(new_size, name="new_size")
    if old_size > new_size or not _proof_is_well_formed(proof):
        return False
    if old_size == new_size:
        return len(proof) == 0 and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return len(proof) == 0 and hmac.compare_digest(old_root, EMPTY_ROOT)
    if len(proof) == 0:
        return False
    path = list(proof)
    # When the old tree is a perfect subtree its root is the first node of the path, and the
    # log leaves it out of the proof because the verifier already holds it.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _node_hash(c, fr)
            sr = _node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


def hash_to_hex(value: bytes) -> str:
    """A 32-byte hash as the lowercase hex string used in JSON."""
    _check_hash(value, name="hash")
    return value.hex()


def hash_from_hex(value: str) -> bytes:
    """The hash written as 64 lowercase hex digits; ValueError on anything else."""
    # Strict on purpose: bytes.fromhex would also take upper case and spaces, and a head or
    # proof should have exactly one spelling so saved copies compare as strings.
    if not isinstance(value, str) or not _HEX_HASH.fullmatch(value):
        shown = repr(value)[:80]
        raise ValueError(f"a hash must be {2 * HASH_SIZE} lowercase hex digits, got {shown}")
    return bytes.fromhex(value)


def proof_to_json(proof: Sequence[bytes]) -> list[str]:
    """An inclusion or consistency proof as a JSON-ready list of lowercase hex strings."""
    return [hash_to_hex(element) for element in proof]


def proof_from_json(data: object) -> list[bytes]:
    """A proof read back from JSON (a list of lowercase hex strings); ValueError if malformed."""
    if not isinstance(data, list):
        raise ValueError(f"a proof must be a JSON list of hex strings, got {type(data).__name__}")
    return [hash_from_hex(element) for element in data]
