"""Merkle tree hashes and proofs over the event log, in the hashing of RFC 9162 (section 2.1).

The tree's leaves are the log's entries in position order, each entry being the event's
content hash (``core/events/hashing.py``): leaf index ``i`` is position ``i + 1``, its leaf hash
``SHA-256(0x00 || content_hash)``. Positions need no place in the leaf: a leaf's index is its
position, and inclusion proofs bind it. The same definition is in ``standalone.py``, which an
outside verifier runs; the verification algorithms live there, proof generation here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from .standalone import EMPTY_ROOT, Frontier, leaf_hash, node_hash

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "Tree",
    "leaf_hash",
    "node_hash",
]

_sha256 = hashlib.sha256
_CACHED = 256  # perfect subtrees of at least this many leaves are remembered


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """Tree hashes of any range of a fixed list of leaf hashes, and RFC 9162 proofs.

    Perfect subtrees of ``_CACHED`` leaves or more are remembered, so proofs for many sizes of
    the same log cost about one pass over the leaves in all.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self._cache: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self.leaves)

    def hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi])."""
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0:
            return self._perfect(lo, n)
        k = _split(n)
        return node_hash(self.hash(lo, lo + k), self.hash(lo + k, hi))

    def root(self, size: int) -> bytes:
        return self.hash(0, size)

    def _perfect(self, lo: int, n: int) -> bytes:
        if n == 1:
            return self.leaves[lo]
        key = (lo, n)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if n > _CACHED:
            half = n // 2
            value = node_hash(self._perfect(lo, half), self._perfect(lo + half, half))
        else:
            level = list(self.leaves[lo : lo + n])
            while len(level) > 1:
                level = [
                    _sha256(b"\x01" + a + b).digest()
                    for a, b in zip(level[::2], level[1::2], strict=True)
                ]
            value = level[0]
        if n >= _CACHED:
            self._cache[key] = value
        return value

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]): the sibling hashes from the leaf up to the root."""
        if not 0 <= index < size <= len(self.leaves):
            raise ValueError(f"leaf {index} is not in a tree of {size}")
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self.hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.hash(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """PROOF(old, D[0:new]): what shows the tree of ``new`` extends that of ``old``."""
        if not 0 < old <= new <= len(self.leaves):
            raise ValueError(f"no consistency proof from {old} to {new}")
        path: list[bytes] = []
        lo, hi, m, complete = 0, new, old, True
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                path.append(self.hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.hash(lo, lo + k))
                lo += k
                m -= k
                complete = False
        if not complete:
            path.append(self.hash(lo, hi))
        path.reverse()
        return path


def tree_of_contents(contents: Sequence[bytes]) -> Tree:
    """A tree whose leaves are these content hashes."""
    return Tree([leaf_hash(c) for c in contents])


def root_of_frontier(size: int, stack: bytes) -> bytes:
    """The root of a frontier stored as its concatenated subtree roots."""
    return frontier_from_bytes(size, stack).root()


def frontier_from_bytes(size: int, stack: bytes) -> Frontier:
    return Frontier(size, [stack[i : i + 32] for i in range(0, len(stack), 32)])
