"""Every use case leaves an audit entry; tampering with the log in the database is found,
by the chain and, once a tree head is signed, by the heads kept outside the database."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import delete, select, update

from phr_share.audit import GENESIS, Action, Outcome, entry_hash, leaf_hash, stored_entry
from phr_share.consent import Principal, Role
from phr_share.db import AuditEntry, AuditHead, AuditTreeHead
from phr_share.errors import AccessDenied, IntegrityError
from phr_share.models import SegmentKind
from phr_share.settings import Settings
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
    sign_tree_head,
    verify_audit,
)
from tests.conftest import PATIENT, owner

CONTAINER = Settings().audit_container  # where the fixture's heads go


# How a test fills the log before tampering with it.
Prepare = Callable[[Services, bytes], object]


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


def _signed(svc: Services, demo_ccd: bytes) -> int:
    """The busy log with a tree head signed over it, kept outside the database."""
    _busy(svc, demo_ccd)
    head = sign_tree_head(svc, OPERATOR)
    assert head is not None
    return head.size


# Each attack is found by the chain alone, and still with a signed head over the log.
BEFORE = pytest.mark.parametrize("prepare", [_busy, _signed], ids=["chain", "signed-head"])


@BEFORE
def test_an_edited_entry_is_named(services: Services, demo_ccd: bytes, prepare: Prepare) -> None:
    prepare(services, demo_ccd)
    with services.db.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="doctor:8"))
    assert _broken_at(services) == 3


@BEFORE
def test_a_deleted_entry_is_named(services: Services, demo_ccd: bytes, prepare: Prepare) -> None:
    prepare(services, demo_ccd)
    with services.db.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    assert _broken_at(services) == 2


@BEFORE
def test_reordered_entries_are_named(services: Services, demo_ccd: bytes, prepare: Prepare) -> None:
    prepare(services, demo_ccd)
    with services.db.session() as session:
        rows = {r.seq: r for r in session.scalars(select(AuditEntry).where(AuditEntry.seq < 4))}
        for column in ("at", "action", "actor", "subject", "details", "leaf_hash"):
            first, second = getattr(rows[2], column), getattr(rows[3], column)
            setattr(rows[2], column, second)
            setattr(rows[3], column, first)
    assert _broken_at(services) == 2


def test_a_truncated_log_is_found(services: Services, demo_ccd: bytes) -> None:
    _busy(services, demo_ccd)
    with services.db.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= 3))
    assert _broken_at(services) == 3


# Below, what the chain alone misses: the head outside the database catches it. The
# attacker here can write the database, not the object store.


def test_truncation_with_the_head_rewritten_is_found(services: Services, demo_ccd: bytes) -> None:
    # Finding 5: cut the end off and rewrite the head row to match; the chain holds.
    size = _signed(services, demo_ccd)
    with services.db.session() as session:
        kept = session.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        session.execute(delete(AuditEntry).where(AuditEntry.seq > 2))
        session.execute(update(AuditHead).values(seq=2, hash=kept.hash))
    report = verify_audit(services, OPERATOR)
    assert report.broken is not None
    assert (report.broken.seq, f"size {size}" in report.broken.reason) == (3, True)
    assert "removed" in report.broken.reason


def _rewrite_from(svc: Services, seq: int, *, leaves: bool) -> None:
    """Edit one entry and re-chain every entry after it, as someone with the code would."""
    with svc.db.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(actor="doctor:8"))
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        previous = GENESIS
        for row in rows:
            entry = stored_entry(row)
            row.prev_hash, row.hash = previous, entry_hash(previous, entry)
            if leaves:
                row.leaf_hash = leaf_hash(entry.canonical()).hex()
            previous = row.hash
        session.execute(update(AuditHead).values(hash=previous))


def test_a_rewritten_and_rechained_log_is_found(services: Services, demo_ccd: bytes) -> None:
    _signed(services, demo_ccd)
    _rewrite_from(services, 3, leaves=False)
    report = verify_audit(services, OPERATOR)
    assert report.broken is not None
    assert (report.broken.seq, "altered" in report.broken.reason) == (3, True)


def test_rewritten_leaf_hashes_still_break_the_log(services: Services, demo_ccd: bytes) -> None:
    first = _signed(services, demo_ccd)
    ingest_document(services, OPERATOR, demo_ccd.replace(b"Jordan", b"Jordann"), PATIENT)
    sign_tree_head(services, OPERATOR)
    _rewrite_from(services, first + 1, leaves=True)
    # Every stored hash agrees with the rewrite: the first head that fails bounds it.
    assert _broken_at(services) == first + 1


def _head_objects(svc: Services) -> list[str]:
    return svc.private.list(CONTAINER, "audit-heads/")


def test_a_forged_head_object_is_not_trusted(services: Services, demo_ccd: bytes) -> None:
    _signed(services, demo_ccd)
    name = _head_objects(services)[0]
    genuine = json.loads(services.private.get(CONTAINER, name).data)
    forged = {**genuine, "size": 2}
    forged_name = name.replace(f"{genuine['size']:012d}", f"{2:012d}")
    services.private.put(CONTAINER, forged_name, json.dumps(forged).encode(), {})
    report = verify_audit(services, OPERATOR)
    assert report.broken is None
    assert not report.ok
    assert [f for f in report.faults if "signature does not verify" in f] != []


def test_an_older_head_anchors_when_the_newest_object_is_deleted(
    services: Services, demo_ccd: bytes
) -> None:
    first = _signed(services, demo_ccd)
    ingest_document(services, OPERATOR, demo_ccd.replace(b"Jordan", b"Jordann"), PATIENT)
    second = sign_tree_head(services, OPERATOR)
    assert second is not None
    assert second.size > first
    services.private.delete(CONTAINER, second.object_name)
    report = verify_audit(services, OPERATOR)
    assert report.broken is None
    assert [f"size {second.size}" in f for f in report.faults] == [True]
    with services.db.session() as session:
        session.execute(delete(AuditTreeHead))  # the copies in the database go too
        session.execute(delete(AuditEntry).where(AuditEntry.seq > first - 2))
        kept = session.scalars(select(AuditEntry).where(AuditEntry.seq == first - 2)).one()
        session.execute(update(AuditHead).values(seq=first - 2, hash=kept.hash))
    assert _broken_at(services) == first - 1


def test_the_research_bucket_copy_anchors_without_the_private_one(
    services: Services, demo_ccd: bytes
) -> None:
    services.settings = replace(services.settings, audit_heads_public=True)
    size = _signed(services, demo_ccd)
    public = services.public.list(services.settings.s3_bucket, "audit-heads/")
    assert public == _head_objects(services)
    for name in _head_objects(services):
        services.private.delete(CONTAINER, name)
    with services.db.session() as session:
        session.execute(delete(AuditTreeHead))
        session.execute(delete(AuditEntry).where(AuditEntry.seq > 1))
        kept = session.scalars(select(AuditEntry).where(AuditEntry.seq == 1)).one()
        session.execute(update(AuditHead).values(seq=1, hash=kept.hash))
    report = verify_audit(services, OPERATOR)
    assert report.broken is not None
    assert (report.broken.seq, f"size {size}" in report.broken.reason) == (2, True)


def test_an_intact_log_verifies_against_every_head(services: Services, demo_ccd: bytes) -> None:
    first = _signed(services, demo_ccd)
    ingest_document(services, OPERATOR, demo_ccd.replace(b"Jordan", b"Jordann"), PATIENT)
    second = sign_tree_head(services, OPERATOR)
    report = verify_audit(services, OPERATOR)
    assert report.ok
    assert second is not None
    assert report.latest == second
    assert (report.signed_heads, report.entries) == (2, second.size)
    assert first < second.size


def test_only_an_admin_or_the_operator_verifies_the_log(
    services: Services, demo_ccd: bytes
) -> None:
    _busy(services, demo_ccd)
    patient = Principal(f"user:{PATIENT}", Role.PATIENT, PATIENT)
    with pytest.raises(AccessDenied):
        verify_audit(services, patient)
    with pytest.raises(AccessDenied):
        verify_audit(services, replace(OPERATOR, active=False))
