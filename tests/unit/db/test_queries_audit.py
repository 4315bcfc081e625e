"""The audit log's queries: paging back through entries by outcome and area, one
patient's entries in order, the leaves a tree head covers, and the newest head."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from phr_share.db import AuditEntry, AuditTreeHead, Database
from phr_share.db.queries import audit

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PATIENT = uuid.UUID("00000000-0000-4000-8000-000000000001")
# seq: (action, outcome, about the patient)
ENTRIES = {
    1: ("consent:grant:create", "ok", True),
    2: ("record:read", "denied", True),
    3: ("record:read", "ok", False),
    4: ("consent:grant:revoke", "ok", True),
    5: ("record:read", "ok", True),
}


@pytest.fixture
def db(blank_db: Database) -> Database:
    database = blank_db
    with database.session() as session:
        for seq, (action, outcome, about) in ENTRIES.items():
            session.add(
                AuditEntry(
                    seq=seq,
                    at=T0,
                    action=action,
                    actor="operator:cli",
                    outcome=outcome,
                    patient_id=str(PATIENT) if about else None,
                    subject=None,
                    details="{}",
                    prev_hash="0" * 64,
                    hash=str(seq) * 64,
                    leaf_hash=f"{seq:064x}",
                )
            )
    return database


def _seqs(rows: object) -> list[int]:
    return [row.seq for row in rows]  # type: ignore[attr-defined]


def test_latest_entries_page_back_by_outcome_and_area(db: Database) -> None:
    with db.session() as session:
        assert _seqs(audit.latest_entries(session, limit=2)) == [5, 4]
        assert _seqs(audit.latest_entries(session, limit=2, before=4)) == [3, 2]
        assert _seqs(audit.latest_entries(session, limit=9, outcome="denied")) == [2]
        assert _seqs(audit.latest_entries(session, limit=9, area="consent")) == [4, 1]
        assert audit.latest_entries(session, limit=9, area="rec") == []  # the whole first part


def test_entries_in_order_all_or_one_patients(db: Database) -> None:
    with db.session() as session:
        assert _seqs(audit.entries(session)) == [1, 2, 3, 4, 5]
        assert _seqs(audit.entries(session, PATIENT)) == [1, 2, 4, 5]
        assert audit.entries(session, uuid.uuid4()) == []


def test_the_leaves_a_head_covers(db: Database) -> None:
    with db.session() as session:
        assert audit.leaf_span(session, 3) == (3, 1, 3)
        assert audit.leaf_span(session, 0) == (0, None, None)
        assert audit.leaf_hashes(session, 2) == [f"{1:064x}", f"{2:064x}"]


def test_the_newest_recorded_tree_head_is_the_largest(db: Database) -> None:
    with db.session() as session:
        assert audit.latest_tree_head(session) is None
        assert audit.head(session) is None
        assert audit.locked_head(session) is None
        for size in (4, 2):
            session.add(
                AuditTreeHead(
                    size=size,
                    root="0" * 64,
                    timestamp=1_772_355_600_000 + size,
                    key_id="key",
                    signature="c2ln",
                    object_name=f"audit-heads/{size}",
                )
            )
    with db.session() as session:
        latest = audit.latest_tree_head(session)
        assert latest is not None
        assert latest.size == 4
        assert audit.tree_head_sizes(session) == [2, 4]
