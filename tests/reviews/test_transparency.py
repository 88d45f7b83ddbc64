"""
The sign-off transparency log: RFC 9162 roots and proofs, checked against the RFC text. No database.

The reference functions below restate RFC 9162 section 2.1 literally (recursive MTH, PATH,
PROOF/SUBPROOF), slow and obvious, so the fast module is held to the RFC and not to itself.
"""

import hashlib

import pytest

from reviews import transparency as t

SIZES = range(1, 34)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 9162 2.1.1 defines it, over raw entries."""
    n = len(entries)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + entries[0])
    k = largest_power_of_two_below(n)
    return sha256(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:]))


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 9162 2.1.3.1 defines it."""
    n = len(entries)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return ref_path(m, entries[:k]) + [ref_mth(entries[k:])]
    return ref_path(m - k, entries[k:]) + [ref_mth(entries[:k])]


def ref_subproof(m: int, entries: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) exactly as RFC 9162 2.1.4.1 defines it."""
    n = len(entries)
    if m == n:
        return [] if b else [ref_mth(entries)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return ref_subproof(m, entries[:k], b) + [ref_mth(entries[k:])]
    return ref_subproof(m - k, entries[k:], False) + [ref_mth(entries[:k])]


def entries_of(n: int) -> list[bytes]:
    """n distinct sign-off-like records, so no two leaves share a hash."""
    return [f"signoff:{i}".encode() for i in range(n)]


def hashes_of(entries: list[bytes]) -> list[bytes]:
    return [t.leaf_hash(entry) for entry in entries]


def flip(value: bytes) -> bytes:
    """The same hash with its last bit flipped."""
    return value[:-1] + bytes([value[-1] ^ 1])


# Roots


def test_the_empty_tree_hashes_to_sha256_of_the_empty_string():
    assert t.root_from_leaf_hashes([]) == t.tree_root([]) == t.EMPTY_ROOT
    assert t.EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_leaf_and_two_leaf_roots_match_a_hand_computation():
    d0, d1 = b"alpha", b"beta"
    a = hashlib.sha256(b"\x00alpha").digest()
    b = hashlib.sha256(b"\x00beta").digest()
    assert t.leaf_hash(d0) == a
    assert t.tree_root([d0]) == a
    assert t.tree_root([d0, d1]) == hashlib.sha256(b"\x01" + a + b).digest()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 33])
def test_the_root_is_the_rfc_merkle_tree_hash(n):
    entries = entries_of(n)
    assert t.tree_root(entries) == ref_mth(entries)
    assert t.root_from_leaf_hashes(hashes_of(entries)) == ref_mth(entries)


def test_three_leaves_split_two_and_one_not_one_and_two():
    """A right-heavy or 'duplicate the odd node' tree (as in Bitcoin) gives a different root."""
    a, b, c = hashes_of([b"d0", b"d1", b"d2"])
    node = lambda left, right: sha256(b"\x01" + left + right)  # noqa: E731
    root = t.root_from_leaf_hashes([a, b, c])
    assert root == node(node(a, b), c)
    assert root != node(a, node(b, c))
    assert root != node(node(a, b), node(c, c))


def test_the_root_depends_on_the_order_of_the_leaves():
    hashes = hashes_of(entries_of(7))
    assert t.root_from_leaf_hashes(hashes) != t.root_from_leaf_hashes(hashes[::-1])


# Inclusion


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_proofs_are_the_rfc_path_and_verify_for_every_index(n):
    entries = entries_of(n)
    hashes = hashes_of(entries)
    root = ref_mth(entries)
    for index in range(n):
        proof = t.inclusion_proof(hashes, index)
        assert proof == ref_path(index, entries)
        assert t.verify_inclusion(
            leaf_hash=hashes[index], index=index, tree_size=n, proof=proof, root=root
        )


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_fails_when_leaf_index_size_root_or_proof_change(n):
    hashes = hashes_of(entries_of(n))
    root = t.root_from_leaf_hashes(hashes)
    other_leaf = t.leaf_hash(b"a record that was never logged")
    for index in range(n):
        proof = t.inclusion_proof(hashes, index)
        good = {"leaf_hash": hashes[index], "index": index, "tree_size": n, "root": root}

        def verifies(good=good, proof=proof, **changes):
            return t.verify_inclusion(**{**good, "proof": proof, **changes})

        assert verifies()
        assert not verifies(leaf_hash=other_leaf)
        assert not verifies(root=flip(root))
        for other_index in range(n + 1):
            if other_index != index:
                assert not verifies(index=other_index), (n, index, other_index)
        for other_size in range(index + 1, 2 * n + 2):
            if other_size != n:
                other_root = t.root_from_leaf_hashes(hashes_of(entries_of(other_size)))
                assert not verifies(tree_size=other_size, root=other_root), (n, index, other_size)
        for position in range(len(proof)):
            tampered = list(proof)
            tampered[position] = flip(tampered[position])
            assert not verifies(proof=tampered), (n, index, position)
        assert not verifies(proof=[*proof, root])
        if proof:
            assert not verifies(proof=proof[:-1])


def test_inclusion_proof_from_another_leaf_does_not_prove_a_different_record():
    hashes = hashes_of(entries_of(10))
    root = t.root_from_leaf_hashes(hashes)
    proof = t.inclusion_proof(hashes, 4)
    assert not t.verify_inclusion(
        leaf_hash=hashes[5], index=4, tree_size=10, proof=proof, root=root
    )


# Consistency


@pytest.mark.parametrize("n", SIZES)
def test_consistency_proofs_are_the_rfc_proof_and_verify_for_every_old_size(n):
    entries = entries_of(n)
    hashes = hashes_of(entries)
    new_root = ref_mth(entries)
    for m in range(1, n + 1):
        old_root = ref_mth(entries[:m])
        proof = t.consistency_proof(hashes, m)
        expected = [] if m == n else ref_subproof(m, entries, True)
        assert proof == expected, (m, n)
        assert t.verify_consistency(
            old_size=m, new_size=n, old_root=old_root, new_root=new_root, proof=proof
        ), (m, n)


@pytest.mark.parametrize("n", SIZES)
def test_consistency_fails_on_changed_roots_rewritten_history_or_tampered_proof(n):
    entries = entries_of(n)
    hashes = hashes_of(entries)
    new_root = t.root_from_leaf_hashes(hashes)
    for m in range(1, n + 1):
        old_root = t.root_from_leaf_hashes(hashes[:m])
        proof = t.consistency_proof(hashes, m)
        good = {"old_size": m, "new_size": n, "old_root": old_root, "new_root": new_root}

        def verifies(good=good, proof=proof, **changes):
            return t.verify_consistency(**{**good, "proof": proof, **changes})

        assert verifies()
        assert not verifies(old_root=flip(old_root))
        assert not verifies(new_root=flip(new_root))
        for position in range(len(proof)):
            tampered = list(proof)
            tampered[position] = flip(tampered[position])
            assert not verifies(proof=tampered), (m, n, position)
        assert not verifies(proof=[*proof, new_root])
        if proof:
            assert not verifies(proof=proof[:-1])
        # Rewritten history: the log changes one record the old head already covered, then
        # publishes a new head and the best proof it can make for it. Both must be refused.
        for changed in range(m):
            rewritten = list(hashes)
            rewritten[changed] = t.leaf_hash(b"rewritten " + entries[changed])
            forged_root = t.root_from_leaf_hashes(rewritten)
            forged_proof = t.consistency_proof(rewritten, m)
            assert not verifies(new_root=forged_root), (m, n, changed)
            assert not verifies(new_root=forged_root, proof=forged_proof), (m, n, changed)


@pytest.mark.parametrize("n", SIZES)
def test_consistency_fails_against_the_head_of_any_other_size(n):
    entries = entries_of(n)
    hashes = hashes_of(entries)
    new_root = t.root_from_leaf_hashes(hashes)
    for m in range(1, n + 1):
        old_root = t.root_from_leaf_hashes(hashes[:m])
        proof = t.consistency_proof(hashes, m)
        for other_new in range(m, 2 * n + 2):
            if other_new != n:
                assert not t.verify_consistency(
                    old_size=m,
                    new_size=other_new,
                    old_root=old_root,
                    new_root=ref_mth(entries_of(other_new)),
                    proof=proof,
                ), (m, n, other_new)
        for other_old in range(1, n + 1):
            if other_old != m:
                assert not t.verify_consistency(
                    old_size=other_old,
                    new_size=n,
                    old_root=ref_mth(entries[:other_old]),
                    new_root=new_root,
                    proof=proof,
                ), (m, n, other_old)


def path_shape(m: int, n: int) -> list[str]:
    """Which side each node of PATH(m, D[n]) sits on, from the RFC 9162 2.1.3.1 recursion."""
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*path_shape(m, k), "right"]
    return [*path_shape(m - k, n - k), "left"]


def subproof_shape(m: int, n: int, b: bool) -> list[str]:
    """Which side each node of SUBPROOF(m, D[n], b) sits on, from the RFC 9162 2.1.4.1 recursion."""
    if m == n:
        return [] if b else ["old subtree"]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof_shape(m, k, b), "right"]
    return [*subproof_shape(m - k, n - k, False), "left"]


@pytest.mark.parametrize("n", SIZES)
def test_a_misstated_size_with_the_same_root_passes_only_where_the_rfc_tree_cannot_tell(n):
    """
    The proof binds the size only through the shape of the path; the signed head binds it too.

    RFC 9162 verification recomputes a root from the proof, steered by the bits of the index
    and size. Two sizes whose trees put the proof's nodes on the same sides give the same
    computation (index 0 of 3 leaves and of 4 leaves both climb "right, right"), so no
    verifier can tell them apart from the proof; that is why the size is signed with the root.
    Everywhere the shapes differ, the misstated size must be refused.
    """
    entries = entries_of(n)
    hashes = hashes_of(entries)
    root = t.root_from_leaf_hashes(hashes)
    refused = 0
    for index in range(n):
        proof = t.inclusion_proof(hashes, index)
        for other_size in range(index + 1, 2 * n + 2):
            if other_size == n:
                continue
            accepted = t.verify_inclusion(
                leaf_hash=hashes[index], index=index, tree_size=other_size, proof=proof, root=root
            )
            same_shape = path_shape(index, other_size) == path_shape(index, n)
            assert accepted == same_shape, (n, index, other_size)
            refused += not accepted
    for m in range(1, n + 1):
        old_root = t.root_from_leaf_hashes(hashes[:m])
        proof = t.consistency_proof(hashes, m)
        for other_new in range(m + 1, 2 * n + 2):
            if other_new == n:
                continue
            accepted = t.verify_consistency(
                old_size=m, new_size=other_new, old_root=old_root, new_root=root, proof=proof
            )
            same_shape = m < n and subproof_shape(m, other_new, True) == subproof_shape(m, n, True)
            assert accepted == same_shape, (m, n, other_new)
            refused += not accepted
    assert refused > 0


def test_equal_sizes_give_an_empty_proof_that_verifies_only_for_equal_roots():
    hashes = hashes_of(entries_of(5))
    root = t.root_from_leaf_hashes(hashes)
    assert t.consistency_proof(hashes, 5) == []
    assert t.verify_consistency(old_size=5, new_size=5, old_root=root, new_root=root, proof=[])
    assert not t.verify_consistency(
        old_size=5, new_size=5, old_root=root, new_root=flip(root), proof=[]
    )
    assert not t.verify_consistency(
        old_size=5, new_size=5, old_root=root, new_root=root, proof=[root]
    )


def test_every_log_extends_the_empty_log():
    hashes = hashes_of(entries_of(4))
    root = t.root_from_leaf_hashes(hashes)
    assert t.consistency_proof(hashes, 0) == []
    assert t.verify_consistency(
        old_size=0, new_size=4, old_root=t.EMPTY_ROOT, new_root=root, proof=[]
    )
    assert not t.verify_consistency(
        old_size=0, new_size=4, old_root=flip(t.EMPTY_ROOT), new_root=root, proof=[]
    )


def test_a_shrunk_log_is_not_consistent_with_a_larger_old_head():
    hashes = hashes_of(entries_of(6))
    assert not t.verify_consistency(
        old_size=6,
        new_size=4,
        old_root=t.root_from_leaf_hashes(hashes),
        new_root=t.root_from_leaf_hashes(hashes[:4]),
        proof=t.consistency_proof(hashes, 4),
    )


# The worked example of RFC 9162 section 2.1.5 (the same tree as RFC 6962 2.1.3)


def rfc_example_nodes():
    """The named nodes a..l of the RFC's seven-leaf tree, from the reference MTH."""
    d = [f"d{i}".encode() for i in range(7)]
    return d, {
        "a": ref_mth(d[0:1]),
        "b": ref_mth(d[1:2]),
        "c": ref_mth(d[2:3]),
        "d": ref_mth(d[3:4]),
        "e": ref_mth(d[4:5]),
        "f": ref_mth(d[5:6]),
        "j": ref_mth(d[6:7]),
        "g": ref_mth(d[0:2]),
        "h": ref_mth(d[2:4]),
        "i": ref_mth(d[4:6]),
        "k": ref_mth(d[0:4]),
        "l": ref_mth(d[4:7]),
    }


@pytest.mark.parametrize(
    ("index", "names"),
    [(0, "bhl"), (3, "cgl"), (4, "fjk"), (6, "ik")],
)
def test_rfc_example_inclusion_proofs(index, names):
    d, node = rfc_example_nodes()
    hashes = hashes_of(d)
    proof = t.inclusion_proof(hashes, index)
    assert proof == [node[name] for name in names]
    assert t.verify_inclusion(
        leaf_hash=hashes[index], index=index, tree_size=7, proof=proof, root=ref_mth(d)
    )


@pytest.mark.parametrize(
    ("old_size", "names"),
    [(3, "cdgl"), (4, "l"), (6, "ijk")],
)
def test_rfc_example_consistency_proofs(old_size, names):
    d, node = rfc_example_nodes()
    proof = t.consistency_proof(hashes_of(d), old_size)
    assert proof == [node[name] for name in names]
    assert t.verify_consistency(
        old_size=old_size,
        new_size=7,
        old_root=ref_mth(d[:old_size]),
        new_root=ref_mth(d),
        proof=proof,
    )


# Arguments


def test_builders_refuse_bad_arguments_with_a_clear_message():
    hashes = hashes_of(entries_of(3))
    with pytest.raises(ValueError, match="index 3 is out of range for a tree of 3 leaves"):
        t.inclusion_proof(hashes, 3)
    with pytest.raises(ValueError, match="index must be a non-negative integer"):
        t.inclusion_proof(hashes, -1)
    with pytest.raises(ValueError, match="out of range for a tree of 0 leaves"):
        t.inclusion_proof([], 0)
    with pytest.raises(ValueError, match="old_size 4 is larger than the tree"):
        t.consistency_proof(hashes, 4)
    with pytest.raises(ValueError, match="old_size must be a non-negative integer"):
        t.consistency_proof(hashes, -1)
    with pytest.raises(ValueError, match="leaf hash at index 1 must be a 32-byte"):
        t.root_from_leaf_hashes([hashes[0], hashes[1][:31], hashes[2]])
    with pytest.raises(ValueError, match="leaf hash at index 0 must be a 32-byte"):
        t.inclusion_proof([hashes[0].hex()], 0)
    with pytest.raises(ValueError, match="a log entry must be bytes"):
        t.leaf_hash("not bytes")


def test_verifiers_refuse_malformed_caller_hashes_but_reject_malformed_proofs():
    hashes = hashes_of(entries_of(4))
    root = t.root_from_leaf_hashes(hashes)
    proof = t.inclusion_proof(hashes, 1)
    with pytest.raises(ValueError, match="root must be a 32-byte"):
        t.verify_inclusion(leaf_hash=hashes[1], index=1, tree_size=4, proof=proof, root=root[:8])
    with pytest.raises(ValueError, match="leaf_hash must be a 32-byte"):
        t.verify_inclusion(leaf_hash=hashes[1].hex(), index=1, tree_size=4, proof=proof, root=root)
    with pytest.raises(ValueError, match="new_root must be a 32-byte"):
        t.verify_consistency(old_size=1, new_size=4, old_root=root, new_root=b"", proof=[])

    def inclusion_with(bad_proof, index=1):
        return t.verify_inclusion(
            leaf_hash=hashes[index], index=index, tree_size=4, proof=bad_proof, root=root
        )

    assert inclusion_with(proof)
    assert not inclusion_with([proof[0][:31], proof[1]])
    assert not inclusion_with([proof[0].hex(), proof[1]])
    assert not inclusion_with("not a list")
    assert not inclusion_with(None)
    assert not t.verify_inclusion(leaf_hash=hashes[1], index=4, tree_size=4, proof=proof, root=root)

    old_root = t.root_from_leaf_hashes(hashes[:3])
    consistency = t.consistency_proof(hashes, 3)
    assert t.verify_consistency(
        old_size=3, new_size=4, old_root=old_root, new_root=root, proof=consistency
    )
    assert not t.verify_consistency(
        old_size=3, new_size=4, old_root=old_root, new_root=root, proof=[]
    )
    assert not t.verify_consistency(
        old_size=3, new_size=4, old_root=old_root, new_root=root, proof=[b"x" * 31]
    )
    assert not t.verify_consistency(
        old_size=5, new_size=4, old_root=old_root, new_root=root, proof=consistency
    )


# JSON


def test_proofs_round_trip_through_lowercase_hex_json():
    hashes = hashes_of(entries_of(9))
    proof = t.inclusion_proof(hashes, 6)
    as_json = t.proof_to_json(proof)
    assert all(value == value.lower() and len(value) == 64 for value in as_json)
    assert as_json == [element.hex() for element in proof]
    assert t.proof_from_json(as_json) == proof
    assert t.hash_from_hex(t.hash_to_hex(hashes[0])) == hashes[0]


@pytest.mark.parametrize(
    "bad",
    [
        "abcd",
        None,
        {"proof": []},
        ["A" * 64],
        ["ab" * 31],
        ["ab" * 33],
        ["zz" * 32],
        [" " + "ab" * 31 + "a"],
        [b"\x00" * 32],
        [7],
    ],
)
def test_proof_from_json_refuses_anything_but_a_list_of_lowercase_hex_hashes(bad):
    with pytest.raises(ValueError):
        t.proof_from_json(bad)


def test_proof_to_json_refuses_something_that_is_not_a_hash():
    with pytest.raises(ValueError, match="hash must be a 32-byte"):
        t.proof_to_json([b"short"])


# Size


def test_a_hundred_thousand_leaf_log_gives_a_root_and_proofs_that_verify():
    n = 100_000
    hashes = [t.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    root = t.root_from_leaf_hashes(hashes)
    assert root == ref_mth([i.to_bytes(4, "big") for i in range(n)])
    index = 77_777
    proof = t.inclusion_proof(hashes, index)
    assert len(proof) == 17
    assert t.verify_inclusion(
        leaf_hash=hashes[index], index=index, tree_size=n, proof=proof, root=root
    )
    old_size = 65_537
    consistency = t.consistency_proof(hashes, old_size)
    assert t.verify_consistency(
        old_size=old_size,
        new_size=n,
        old_root=t.root_from_leaf_hashes(hashes[:old_size]),
        new_root=root,
        proof=consistency,
    )
