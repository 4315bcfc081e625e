"""The tamper-evident audit log: pure chain logic (the database side is in sharing)."""

from phr_share.audit.chain import (
    GENESIS,
    Action,
    Break,
    Entry,
    Head,
    Outcome,
    entry_hash,
    first_break,
)

__all__ = ["GENESIS", "Action", "Break", "Entry", "Head", "Outcome", "entry_hash", "first_break"]
