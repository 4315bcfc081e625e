"""The audit log's rows: its entries, the one head row that carries the chain and the
Merkle frontier, and the database's copies of the signed tree heads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phr_share.db.tables import AuditEntry, AuditHead, AuditTreeHead

__all__ = [
    "HEAD_ID",
    "entries",
    "head",
    "latest_entries",
    "latest_tree_head",
    "leaf_hashes",
    "leaf_span",
    "locked_head",
    "tree_head_sizes",
]

# The log has one head row; an append locks it while it takes the next number.
HEAD_ID = 1


def locked_head(session: Session) -> AuditHead | None:
    """The head row, locked until the transaction ends (None before the first entry)."""
    return session.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())


def head(session: Session) -> AuditHead | None:
    """The head row, unlocked (None before the first entry)."""
    return session.get(AuditHead, HEAD_ID)


def entries(session: Session, patient_id: uuid.UUID | None = None) -> Sequence[AuditEntry]:
    """Every entry in sequence order, or those about one patient."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == str(patient_id))
    return session.scalars(query).all()


def latest_entries(
    session: Session,
    *,
    limit: int,
    before: int | None = None,
    outcome: str | None = None,
    area: str | None = None,
) -> list[AuditEntry]:
    """The newest ``limit`` entries first: before a sequence number, of one outcome, and
    of one area (the action's first part, ``consent`` of ``consent:grant:create``)."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    if outcome is not None:
        query = query.where(AuditEntry.outcome == outcome)
    if area is not None:
        query = query.where(AuditEntry.action.startswith(f"{area}:"))
    return list(session.scalars(query))


def leaf_span(session: Session, size: int) -> tuple[int, int | None, int | None]:
    """How many entries have a sequence number up to ``size``, and the lowest and highest."""
    count, low, high = session.execute(
        select(func.count(), func.min(AuditEntry.seq), func.max(AuditEntry.seq)).where(
            AuditEntry.seq <= size
        )
    ).one()
    return int(count), low, high


def leaf_hashes(session: Session, size: int) -> list[str]:
    """The leaf hashes (hex) of the entries numbered up to ``size``, in sequence order."""
    query = select(AuditEntry.leaf_hash).where(AuditEntry.seq <= size).order_by(AuditEntry.seq)
    return list(session.scalars(query))


def latest_tree_head(session: Session) -> AuditTreeHead | None:
    """The recorded copy of the largest signed tree head, if any."""
    query = select(AuditTreeHead).order_by(AuditTreeHead.size.desc()).limit(1)
    return session.scalars(query).first()


def tree_head_sizes(session: Session) -> list[int]:
    """The sizes of the recorded signed tree heads, smallest first."""
    return list(session.scalars(select(AuditTreeHead.size).order_by(AuditTreeHead.size)))
