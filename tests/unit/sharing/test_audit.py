"""Every use case leaves an audit entry; tampering with the log in the database is found."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from phr_share.audit import Action, Outcome
from phr_share.db import AuditEntry
from phr_share.errors import IntegrityError
from phr_share.models import SegmentKind
from phr_share.sharing import (
    OPERATOR,
    Services,
    audit_entries,
    choose_release,
    erase_patient,
    ingest_document,
    read_segment,
    rotate_master,
    segments_of,
    verify_audit,
)
from tests.conftest import PATIENT, owner


def _busy(svc: Services, demo_ccd: bytes) -> None:
    choose_release(svc, OPERATOR, PATIENT, {SegmentKind.LIFESTYLE})
    ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    first = segments_of(svc, OPERATOR, PATIENT)[1]
    read_segment(svc, owner(first), first)
    rotate_master(svc, OPERATOR)


def test_use_cases_write_ids_and_codes_to_the_log(services: Services, demo_ccd: bytes) -> None:
    _busy(services, demo_ccd)
    erase_patient(services, OPERATOR, PATIENT)
    entries = list(audit_entries(services, OPERATOR))
    assert [e.action for e in entries] == [
        Action.RELEASE_CHOICE,
        Action.INGEST,
        Action.READ,
        Action.ROTATE,
        Action.ERASE,
    ]
    assert [e.actor for e in entries][:3] == ["operator:cli", "operator:cli", f"user:{PATIENT}"]
    assert all(e.outcome is Outcome.OK for e in entries)
    log = " ".join(e.canonical().decode() for e in entries)
    assert "Jordan" not in log
    assert verify_audit(services, OPERATOR).broken is None
    assert [e.seq for e in audit_entries(services, OPERATOR, PATIENT)] == [1, 2, 3, 5]


def test_a_failed_read_is_logged_as_failed(services: Services, demo_ccd: bytes) -> None:
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    record = segments_of(services, OPERATOR, PATIENT)[1]
    blob = services.private.get(record.container, record.object_name)
    services.private.put(record.container, record.object_name, blob.data[:-1], blob.metadata)
    with pytest.raises(IntegrityError):
        read_segment(services, owner(record), record)
    last = list(audit_entries(services, OPERATOR))[-1]
    assert (last.action, last.outcome, last.details["error"]) == (
        Action.READ,
        Outcome.FAILED,
        "integrity",
    )


def _broken_at(svc: Services) -> int | None:
    report = verify_audit(svc, OPERATOR)
    return None if report.broken is None else report.broken.seq


def test_an_edited_entry_is_named(services: Services, demo_ccd: bytes) -> None:
    _busy(services, demo_ccd)
    with services.db.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="doctor:8"))
    assert _broken_at(services) == 3


def test_a_deleted_entry_is_named(services: Services, demo_ccd: bytes) -> None:
    _busy(services, demo_ccd)
    with services.db.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    assert _broken_at(services) == 2


def test_reordered_entries_are_named(services: Services, demo_ccd: bytes) -> None:
    _busy(services, demo_ccd)
    with services.db.session() as session:
        two = session.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        three = session.scalars(select(AuditEntry).where(AuditEntry.seq == 3)).one()
        swapped = {c: getattr(three, c) for c in ("at", "action", "actor", "subject", "details")}
        for column, value in swapped.items():
            setattr(three, column, getattr(two, column))
            setattr(two, column, value)
    assert _broken_at(services) == 2


def test_a_truncated_log_is_found(services: Services, demo_ccd: bytes) -> None:
    _busy(services, demo_ccd)
    with services.db.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= 3))
    assert _broken_at(services) == 3
