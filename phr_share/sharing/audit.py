"""Writing and checking the audit log.

An entry is appended in the same transaction as the change it records, so a change
and its entry are committed together or not at all; the head row is locked while the
next sequence number is taken, so concurrent writers queue instead of forking the chain.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.audit import Action, Break, Entry, Head, Outcome, entry_hash, first_break
from phr_share.audit.chain import GENESIS
from phr_share.db import AuditEntry, AuditHead
from phr_share.models import Principal
from phr_share.sharing.guard import STEWARDS, require_owner, require_steward
from phr_share.sharing.services import Services

__all__ = [
    "AREAS",
    "AuditReport",
    "audit_entries",
    "entries_about",
    "latest_entries",
    "record",
    "verify_audit",
]

_HEAD_ID = 1


def record(
    svc: Services,
    session: Session,
    action: Action,
    actor: str,
    *,
    patient_id: uuid.UUID | None = None,
    subject: str | None = None,
    outcome: Outcome = Outcome.OK,
    details: Mapping[str, str | int] | None = None,
) -> Entry:
    """Append an entry in ``session``'s transaction; details hold ids and codes only."""
    head = session.scalar(select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update())
    previous, seq = (head.hash, head.seq + 1) if head is not None else (GENESIS, 1)
    entry = Entry(
        seq=seq,
        at=svc.clock(),
        action=action,
        actor=actor,
        outcome=outcome,
        patient_id=None if patient_id is None else str(patient_id),
        subject=subject,
        details=dict(details or {}),
    )
    digest = entry_hash(previous, entry)
    session.add(
        AuditEntry(
            seq=seq,
            at=entry.at,
            action=entry.action.value,
            actor=actor,
            outcome=outcome.value,
            patient_id=entry.patient_id,
            subject=subject,
            details=json.dumps(dict(entry.details), sort_keys=True),
            prev_hash=previous,
            hash=digest,
        )
    )
    if head is None:
        session.add(AuditHead(id=_HEAD_ID, seq=seq, hash=digest))
    else:
        head.seq, head.hash = seq, digest
    session.flush()
    return entry


def _entry(row: AuditEntry) -> Entry:
    return Entry(
        seq=row.seq,
        at=row.at,
        action=Action(row.action),
        actor=row.actor,
        outcome=Outcome(row.outcome),
        patient_id=row.patient_id,
        subject=row.subject,
        details=json.loads(row.details),
    )


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of a verification: how many entries, the head, the first break."""

    entries: int
    head: str
    broken: Break | None


def verify_audit(svc: Services, principal: Principal) -> AuditReport:
    """Recompute the chain from the first entry; names the first broken one. An admin or
    the operator; raises AccessDenied otherwise."""
    require_steward(principal)
    with svc.db.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        head_row = session.get(AuditHead, _HEAD_ID)
        head = None if head_row is None else Head(head_row.seq, head_row.hash)
        stored = []
        for row in rows:
            try:
                stored.append((_entry(row), row.prev_hash, row.hash))
            except (ValueError, TypeError):
                return AuditReport(
                    len(rows),
                    head.hash if head else GENESIS,
                    Break(row.seq, "altered after it was written"),
                )
    broken = first_break(stored, head)
    return AuditReport(len(rows), head.hash if head else GENESIS, broken)


# What entries are about, by the first part of their action (``consent:grant:create``).
AREAS = tuple(sorted({action.value.partition(":")[0] for action in Action}))


def latest_entries(
    svc: Services,
    principal: Principal,
    *,
    limit: int = 50,
    before: int | None = None,
    outcome: Outcome | None = None,
    area: str | None = None,
) -> list[Entry]:
    """The newest entries first (``before`` a sequence number, to page back), of one
    outcome and one area (the action's first part, e.g. ``consent``) when given.

    For an admin or the operator; raises AccessDenied for anyone else.
    """
    require_steward(principal)
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(max(1, min(limit, 500)))
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    if outcome is not None:
        query = query.where(AuditEntry.outcome == outcome.value)
    if area is not None:
        query = query.where(AuditEntry.action.startswith(f"{area}:"))
    with svc.db.session() as session:
        return [_entry(row) for row in session.scalars(query)]


def audit_entries(
    svc: Services, principal: Principal, patient_id: uuid.UUID | None = None
) -> Iterator[Entry]:
    """Entries in order, all or those about one patient: every entry for an admin or the
    operator, a patient's own for that patient; raises AccessDenied otherwise."""
    if principal.role in STEWARDS or patient_id is None:
        require_steward(principal)
    else:
        require_owner(principal, patient_id)
    return entries_about(svc, patient_id)


def entries_about(svc: Services, patient_id: uuid.UUID | None) -> Iterator[Entry]:
    """:func:`audit_entries` for callers that have checked who asks."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == str(patient_id))
    with svc.db.session() as session:
        rows = session.scalars(query).all()
    return iter([_entry(row) for row in rows])
