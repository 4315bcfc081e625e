"""Writing and checking the audit log.

An entry is appended in the same transaction as the change it records, so a change
and its entry are committed together or not at all; the head row is locked while the
next sequence number is taken, so concurrent writers queue instead of forking the chain.
The same row keeps the Merkle tree's frontier, grown with each entry's leaf hash, so an
append costs a few hashes whatever the log's length.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from phr_share.audit import (
    GENESIS,
    Action,
    Break,
    Entry,
    Head,
    Outcome,
    entry_hash,
    first_break,
    frontier_append,
    leaf_hash,
    stored_entry,
)
from phr_share.audit.anchor import StoredLeaf, check_anchoring
from phr_share.db import AuditEntry, AuditHead, Session
from phr_share.db.queries import audit as audit_rows
from phr_share.models import Principal
from phr_share.sharing.guard import STEWARDS, require_owner, require_steward
from phr_share.sharing.services import Services
from phr_share.sharing.tree_heads import (
    HeadInfo,
    frontier_of,
    recorded_sizes,
    stored_heads,
)

__all__ = [
    "AREAS",
    "AuditReport",
    "audit_entries",
    "entries_about",
    "latest_entries",
    "record",
    "verify_audit",
]


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
    head = audit_rows.locked_head(session)
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
    leaf = leaf_hash(entry.canonical())
    frontier = b"".join(frontier_append(frontier_of(head), seq - 1, leaf)).hex()
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
            leaf_hash=leaf.hex(),
        )
    )
    if head is None:
        session.add(AuditHead(id=audit_rows.HEAD_ID, seq=seq, hash=digest, frontier=frontier))
    else:
        head.seq, head.hash, head.frontier = seq, digest, frontier
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class AuditReport:
    """A verification: how many entries, the chain's head, the first entry affected (by
    the chain or by a signed tree head), how many signed heads anchor the log, the newest
    of them, and what is wrong with any head object that could not be trusted."""

    entries: int
    head: str
    broken: Break | None
    signed_heads: int = 0
    latest: HeadInfo | None = None
    faults: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing broken, no untrustworthy head."""
        return self.broken is None and not self.faults


@dataclass(frozen=True, slots=True)
class _Stored:
    """A row as verification sees it: its entry (None when no entry can hold its columns)."""

    seq: int
    entry: Entry | None
    prev_hash: str
    hash: str
    leaf: str


def _load(svc: Services) -> tuple[list[_Stored], Head | None]:
    with svc.db.session() as session:
        rows = audit_rows.entries(session)
        head_row = audit_rows.head(session)
        head = None if head_row is None else Head(head_row.seq, head_row.hash)
    loaded = []
    for row in rows:
        try:
            entry: Entry | None = stored_entry(row)
        except (ValueError, TypeError):
            entry = None
        loaded.append(_Stored(row.seq, entry, row.prev_hash, row.hash, row.leaf_hash))
    return loaded, head


def _chain_break(rows: list[_Stored], head: Head | None) -> Break | None:
    unreadable = next((row for row in rows if row.entry is None), None)
    if unreadable is not None:
        return Break(unreadable.seq, "altered after it was written")
    return first_break(((r.entry, r.prev_hash, r.hash) for r in rows if r.entry), head)


def verify_audit(svc: Services, principal: Principal, *, latest_only: bool = False) -> AuditReport:
    """Recompute the chain, then check the log against every signed tree head in the object
    store(s) (only the newest with ``latest_only``), trusting nothing the database says of
    them; names the first entry affected. AccessDenied unless an admin or the operator
    asks; store errors."""
    require_steward(principal)
    rows, head = _load(svc)
    heads, faults = stored_heads(svc)
    found = {signed.head.size for signed in heads}
    faults += [
        f"the signed tree head of size {size} the database records is in no store"
        for size in recorded_sizes(svc)
        if size not in found
    ]
    leaves = [StoredLeaf(r.seq, r.entry.canonical() if r.entry else None, r.leaf) for r in rows]
    tree = check_anchoring(leaves, heads[-1:] if latest_only else heads)
    breaks = [b for b in (_chain_break(rows, head), tree.broken) if b is not None]
    return AuditReport(
        entries=len(rows),
        head=head.hash if head else GENESIS,
        broken=min(breaks, key=lambda b: b.seq, default=None),
        signed_heads=tree.anchored,
        latest=HeadInfo.of(heads[-1]) if heads else None,
        faults=(*faults, *tree.faults),
    )


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
    with svc.db.session() as session:
        rows = audit_rows.latest_entries(
            session,
            limit=max(1, min(limit, 500)),
            before=before,
            outcome=None if outcome is None else outcome.value,
            area=area,
        )
        return [stored_entry(row) for row in rows]


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
    with svc.db.session() as session:
        rows = audit_rows.entries(session, patient_id)
    return iter([stored_entry(row) for row in rows])
