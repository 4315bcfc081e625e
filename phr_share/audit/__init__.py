"""The tamper-evident audit log, pure: the hash chain, its RFC 6962 Merkle tree, signed tree
heads and patients' proof bundles (the database and stores are composed in sharing)."""

from phr_share.audit.chain import (
    GENESIS,
    Action,
    Break,
    Entry,
    Head,
    Outcome,
    entry_hash,
    first_break,
    stored_entry,
)
from phr_share.audit.heads import HEAD_FORMAT, SignedTreeHead, TreeHead, key_id
from phr_share.audit.merkle import (
    MerkleTree,
    frontier_append,
    frontier_root,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from phr_share.audit.proof import (
    PROOF_FORMAT,
    ProofSummary,
    ProvenEntry,
    check_bundle,
    proof_bundle,
)

__all__ = [
    "GENESIS",
    "HEAD_FORMAT",
    "PROOF_FORMAT",
    "Action",
    "Break",
    "Entry",
    "Head",
    "MerkleTree",
    "Outcome",
    "ProofSummary",
    "ProvenEntry",
    "SignedTreeHead",
    "TreeHead",
    "check_bundle",
    "entry_hash",
    "first_break",
    "frontier_append",
    "frontier_root",
    "key_id",
    "leaf_hash",
    "proof_bundle",
    "stored_entry",
    "verify_consistency",
    "verify_inclusion",
]
