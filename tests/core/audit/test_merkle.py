"""RFC 9162 tree hashes and proofs: the recursive definitions against the streaming and
iterative forms, and proofs that fail when anything in them changes."""

from __future__ import annotations

import hashlib

import pytest

from khidma.core.audit.merkle import Frontier, Tree, leaf_hash, node_hash
from khidma.core.audit.standalone import EMPTY_ROOT, verify_consistency, verify_inclusion


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162, 2.1.1, word for word (leaves are entries, not yet hashed)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


ENTRIES = [hashlib.sha256(str(i).encode()).digest() for i in range(70)]
TREE = Tree([leaf_hash(e) for e in ENTRIES])


def test_the_empty_tree_and_one_leaf() -> None:
    assert Frontier().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert TREE.root(1) == hashlib.sha256(b"\x00" + ENTRIES[0]).digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_roots_agree_with_the_recursive_definition_at_every_size() -> None:
    frontier = Frontier()
    for size in range(1, len(ENTRIES) + 1):
        frontier.append(leaf_hash(ENTRIES[size - 1]))
        expected = mth(ENTRIES[:size])
        assert frontier.root() == expected, size
        assert TREE.root(size) == expected, size
        assert Frontier(size, list(frontier.stack)).root() == expected


def test_a_frontier_must_have_one_subtree_per_set_bit() -> None:
    with pytest.raises(ValueError, match="subtrees"):
        Frontier(3, [b"x" * 32])


def test_inclusion_proofs_verify_and_fail_when_changed() -> None:
    for size in range(1, 40):
        root = TREE.root(size)
        for index in range(size):
            path = TREE.inclusion_proof(index, size)
            leaf = TREE.leaves[index]
            assert verify_inclusion(index, size, leaf, path, root), (index, size)
            assert not verify_inclusion(index, size, TREE.leaves[size], path, root)
            if size > 1:
                assert not verify_inclusion((index + 1) % size, size, leaf, path, root)
                assert not verify_inclusion(index, size, leaf, path[:-1], root)
                forged = [*path[:-1], b"\x00" * 32]
                assert not verify_inclusion(index, size, leaf, forged, root)
    with pytest.raises(ValueError):
        TREE.inclusion_proof(5, 5)


def test_consistency_proofs_verify_and_fail_when_changed() -> None:
    for new in range(1, 45):
        for old in range(1, new + 1):
            path = TREE.consistency_proof(old, new)
            old_root, new_root = TREE.root(old), TREE.root(new)
            assert verify_consistency(old, new, old_root, new_root, path), (old, new)
            if old < new:
                assert not verify_consistency(old, new, TREE.root(old - 1), new_root, path)
                assert not verify_consistency(old, new, old_root, TREE.root(new - 1), path)
                assert not verify_consistency(old, new, old_root, new_root, path[:-1])
                assert not verify_consistency(old + 1, new, old_root, new_root, path)
                forged = [b"\x00" * 32, *path[1:]]
                assert not verify_consistency(old, new, old_root, new_root, forged)
    assert not verify_consistency(5, 3, TREE.root(5), TREE.root(3), [])
    with pytest.raises(ValueError):
        TREE.consistency_proof(6, 5)


def test_a_different_history_is_not_consistent() -> None:
    other = Tree([*TREE.leaves[:9], leaf_hash(b"forged"), *TREE.leaves[10:]])
    path = other.consistency_proof(8, 30)
    assert not verify_consistency(8, 30, TREE.root(8), other.root(30), path[:-1])
    assert not verify_consistency(
        12, 30, TREE.root(12), other.root(30), other.consistency_proof(12, 30)
    )


def test_the_verifiers_content_hashes_are_the_stores() -> None:
    """verify.py's joined-string hash, standalone.py's, and core/events/hashing.py agree."""
    import random
    import uuid

    from khidma.core.audit import standalone
    from khidma.core.audit.verify import _content_hasher
    from khidma.core.events.hashing import content_hash

    fast = _content_hasher()
    rng = random.Random(7)
    for topic in ["a:B", "khidma.core.domain.request:ServiceRequest.Submitted", "ت:ع"] * 5:
        stream = uuid.UUID(int=rng.getrandbits(128))
        version = rng.choice([0, 1, 2**40, 2**63 - 1])
        data = rng.randbytes(rng.randrange(0, 300))
        meta = b'{"actor_id":"\xd8\xb3","n":3}'
        expected = content_hash(stream, version, topic, data, meta)
        assert fast(stream.bytes, version, topic, data, meta) == expected
        assert standalone.content_hash(stream.bytes, version, topic, data, meta) == expected
