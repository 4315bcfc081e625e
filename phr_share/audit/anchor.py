"""Checking the log against its signed tree heads, pure: nothing here trusts the database.

Each entry's leaf is recomputed from its own canonical bytes. The smallest head's root
must be the root of that many recomputed leaves; every later head must follow the one
before it by an RFC 9162 consistency proof built from the recomputed tree. A head that
covers entries that are gone (deleted in the middle, or cut from the end and the chain's
head rewritten) or that no longer hash to its root breaks the log at the first entry
affected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from phr_share.audit.chain import Break
from phr_share.audit.heads import SignedTreeHead
from phr_share.audit.merkle import MerkleTree, leaf_hash, verify_consistency

__all__ = ["Anchoring", "StoredLeaf", "check_anchoring"]

# The leaf of an entry whose columns no entry can hold: it matches no signed root.
_UNREADABLE = leaf_hash(b"\xff")


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    """An entry as stored: its sequence number, canonical bytes (None when unreadable) and
    the leaf hash stored beside it (hex; a hint for naming the entry, never trusted)."""

    seq: int
    canonical: bytes | None
    leaf_hash: str


@dataclass(frozen=True, slots=True)
class Anchoring:
    """The first entry a signed head shows is wrong, how many heads held, and faults."""

    broken: Break | None
    anchored: int
    faults: tuple[str, ...]


def check_anchoring(rows: Sequence[StoredLeaf], heads: Sequence[SignedTreeHead]) -> Anchoring:
    """Check entries in sequence order against signed heads ordered by size (signatures
    already checked)."""
    leaves = [_UNREADABLE if r.canonical is None else leaf_hash(r.canonical) for r in rows]
    gap = next((i for i, row in enumerate(rows) if row.seq != i + 1), None)
    tree = MerkleTree(leaves)
    previous: SignedTreeHead | None = None
    faults: list[str] = []
    anchored = 0
    for signed in heads:
        size = signed.head.size
        if previous is not None and previous.head.size == size:
            if previous.head.root != signed.head.root:
                faults.append(f"two signed tree heads of size {size} disagree")
            continue
        broken = _missing(gap, len(leaves), size)
        if broken is None and not _follows(tree, previous, signed):
            start = 0 if previous is None else previous.head.size
            broken = Break(
                _first_changed(rows, leaves, start, size) + 1,
                f"altered since the signed tree head of size {size} covered it",
            )
        if broken is not None:
            return Anchoring(broken, anchored, tuple(faults))
        previous, anchored = signed, anchored + 1
    return Anchoring(None, anchored, tuple(faults))


def _missing(gap: int | None, count: int, size: int) -> Break | None:
    """Entries a head of ``size`` covers that are not there any more."""
    if gap is not None and gap < size:
        return Break(gap + 1, f"missing, though the signed tree head of size {size} covers it")
    if size > count:
        return Break(count + 1, f"removed, though the signed tree head of size {size} covers it")
    return None


def _follows(tree: MerkleTree, previous: SignedTreeHead | None, signed: SignedTreeHead) -> bool:
    """The head's root is the recomputed tree's, shown by consistency with the one before."""
    size = signed.head.size
    if previous is None:
        return tree.root(size) == signed.head.root
    old = previous.head.size
    proof = tree.consistency_proof(old, size)
    return verify_consistency(old, size, previous.head.root, signed.head.root, proof)


def _first_changed(rows: Sequence[StoredLeaf], leaves: list[bytes], start: int, end: int) -> int:
    """The first index in [start, end) whose entry no longer hashes to its stored leaf;
    ``start`` when every stored leaf was rewritten to match (then that is all one knows)."""
    for index in range(start, end):
        if rows[index].leaf_hash != leaves[index].hex():
            return index
    return start
