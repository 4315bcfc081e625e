"""The audit log's Merkle tree, pure: RFC 6962 / RFC 9162 hashing, proofs and their checks.

Leaves are hashed ``SHA-256(0x00 || leaf)``, interior nodes ``SHA-256(0x01 || left ||
right)``, and a tree of ``n`` leaves splits at the largest power of two below ``n``, so a
root, an inclusion proof or a consistency proof made here checks with any other RFC 6962
implementation (Certificate Transparency's own known-answer vectors are in the tests).

Appending keeps only the *frontier*: the roots of the perfect subtrees along the tree's
right edge, largest first (one per set bit of the size), so a new leaf costs O(log n)
hashes and the root of the whole log is always at hand without reading any leaf.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_BYTES",
    "MerkleTree",
    "frontier_append",
    "frontier_root",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def frontier_append(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier of a tree of ``size`` leaves after appending one leaf hash."""
    grown = [*frontier, leaf]
    while size & 1:
        right, left = grown.pop(), grown.pop()
        grown.append(node_hash(left, right))
        size >>= 1
    return grown


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The tree's root from its frontier (the empty tree's root for no frontier)."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        root = node_hash(subtree, root)
    return root


class MerkleTree:
    """The leaf hashes of a log with their perfect subtrees hashed once, so the root of any
    prefix and every proof take O(log n) lookups (building it takes n hashes)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        # levels[h][i]: the perfect subtree of leaves [i * 2**h, (i + 1) * 2**h).
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    @property
    def size(self) -> int:
        """How many leaves."""
        return len(self.levels[0])

    def _hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) as RFC 6962 defines it."""
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            return self.levels[width.bit_length() - 1][start // width]
        k = _split(width)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def _check(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError("a tree size beyond the leaves at hand")

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all of them by default)."""
        size = self.size if size is None else size
        self._check(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PATH(index, D[size]): the audit path of one leaf, leaf to root."""
        size = self.size if size is None else size
        self._check(size)
        if not 0 <= index < size:
            raise ValueError("a leaf index outside the tree")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._hash(start + k, end))
                end = start + k
            else:
                path.append(self._hash(start, start + k))
                start += k
        return path[::-1]

    def consistency_proof(self, old: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PROOF(old, D[size]): the nodes showing the old tree is a prefix."""
        size = self.size if size is None else size
        self._check(size)
        if not 0 <= old <= size:
            raise ValueError("an old tree larger than the new one")
        if old in (0, size):
            return []
        return self._subproof(old, 0, size, whole=True)

    def _subproof(self, m: int, start: int, end: int, *, whole: bool) -> list[bytes]:
        """RFC 9162 SUBPROOF(m, D[start:end], whole), iteratively from the root down."""
        tail: list[bytes] = []
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                tail.append(self._hash(start + k, end))
                end = start + k
            else:
                tail.append(self._hash(start, start + k))
                m, start, whole = m - k, start + k, False
        head = [] if whole else [self._hash(start, end)]
        return head + tail[::-1]


def _is_hash(value: bytes) -> bool:
    return len(value) == HASH_BYTES


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: whether ``path`` proves the leaf hash ``leaf`` at ``index`` of a tree
    of ``size`` leaves under ``root``."""
    if not 0 <= index < size or not all(_is_hash(h) for h in (leaf, root, *path)):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    old: int, size: int, old_root: bytes, root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: whether ``path`` proves the tree ``old_root`` of ``old`` leaves is
    the first ``old`` leaves of the tree ``root`` of ``size``."""
    if not 0 <= old <= size or not all(_is_hash(h) for h in (old_root, root, *path)):
        return False
    if old == size:
        return not path and hmac.compare_digest(old_root, root)
    if old == 0:
        return not path and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not path:
        return False
    nodes = [old_root, *path] if old & (old - 1) == 0 else list(path)
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, root)
