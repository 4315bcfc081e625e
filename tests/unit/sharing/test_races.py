"""Two requests at once, each with its own database connection, settled by the database.

Each side is its own Services over the same database (the SQLite file, or PostgreSQL
on the second pass) and the same object store, as two processes would be. A barrier
starts both together; where the old interleaving needs both sides inside the critical
section, a gate holds the first writes until the other side has journalled too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select, update

from phr_share.consent import Role
from phr_share.db import Database, Document, Grant, StoredSegment
from phr_share.errors import InvalidState, PhrShareError, StoreConflict
from phr_share.models import SegmentKind as K
from phr_share.sharing import (
    OPERATOR,
    Account,
    IngestResult,
    Services,
    accept_care,
    change_grant,
    create_user,
    grant_access,
    ingest_batch,
    ingest_document,
    invite_clinician,
    read_segment,
    recover,
    revoke_grant,
    segments_of,
)
from phr_share.sharing.journal import ABANDONED_AFTER
from phr_share.storage import MemoryStore
from tests.conftest import PATIENT, owner

T = TypeVar("T")
WAIT = 30.0  # seconds before a side that never arrives fails the test instead of hanging


def _own_connection(svc: Services, database_url: str, **changes: object) -> Services:
    """The same database and stores through an engine (and key cache) of its own."""
    return replace(
        svc,
        db=Database(database_url),
        key_cache={},
        key_lock=threading.Lock(),
        _readers=None,
        **changes,  # type: ignore[arg-type]
    )


def _at_once(*calls: Callable[[], T]) -> list[T | PhrShareError]:
    """Run the calls in threads started together; each one's result or domain error."""
    barrier = threading.Barrier(len(calls))
    results: list[T | PhrShareError | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait(WAIT)
        try:
            results[index] = call()
        except PhrShareError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert all(r is not None for r in results), "a side did not finish"
    return [r for r in results if r is not None]


class _Gate:
    """Opens once both sides have arrived: started writing, or finished without."""

    def __init__(self) -> None:
        self._arrived: set[str] = set()
        self._changed = threading.Condition()

    def arrive(self, side: str) -> None:
        with self._changed:
            self._arrived.add(side)
            self._changed.notify_all()

    def wait(self) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self._arrived) == 2, WAIT)


class _GatedStore:
    """One side's view of the shared store: its first write waits at the gate."""

    def __init__(self, store: MemoryStore, gate: _Gate, side: str) -> None:
        self.store, self.gate, self.side = store, gate, side

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def put(self, container: str, name: str, data: bytes, metadata: dict[str, str]) -> None:
        self.gate.arrive(self.side)
        self.gate.wait()
        self.store.put(container, name, data, metadata)


def _ingest_as(svc: Services, gate: _Gate, side: str, data: bytes) -> Callable[[], IngestResult]:
    def ingest() -> IngestResult:
        try:
            return ingest_document(svc, OPERATOR, data, PATIENT)
        finally:
            gate.arrive(side)  # done (or refused) without writing: the other may go on

    return ingest


def _count(svc: Services, table: type[Document] | type[StoredSegment] | type[Grant]) -> int:
    with svc.db.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_two_ingests_of_the_same_document_at_once_store_it_once_and_one_is_new(
    services: Services, database_url: str, demo_ccd: bytes
) -> None:
    store = services.private
    assert isinstance(store, MemoryStore)
    gate = _Gate()
    sides = {
        name: _own_connection(services, database_url, private=_GatedStore(store, gate, name))
        for name in ("a", "b")
    }
    outcomes = _at_once(*(_ingest_as(s, gate, name, demo_ccd) for name, s in sides.items()))
    new = [o for o in outcomes if isinstance(o, IngestResult) and o.created]
    assert len(new) == 1, outcomes
    other = next(o for o in outcomes if o is not new[0])
    assert isinstance(other, StoreConflict) or (
        isinstance(other, IngestResult) and not other.created
    )
    assert (_count(services, Document), _count(services, StoredSegment)) == (1, store.puts)
    assert store.puts == len(new[0].placements)  # every object written once
    for record in segments_of(services, OPERATOR, PATIENT):
        assert read_segment(services, owner(record), record)  # the index and objects agree
    for side in sides.values():
        side.db.dispose()


def test_the_same_document_twice_in_one_batch_is_stored_once(
    services: Services, demo_ccd: bytes
) -> None:
    first, again = ingest_batch(services, OPERATOR, [(demo_ccd, PATIENT), (demo_ccd, PATIENT)])
    assert isinstance(first, IngestResult)
    assert first.created
    assert again == replace(first, created=False)
    assert isinstance(services.private, MemoryStore)
    assert services.private.puts == len(first.placements)


def _hold_journal(services: Services, demo_ccd: bytes) -> None:
    """A pending journal another (live) attempt holds, as if it were writing now."""
    store = services.private
    assert isinstance(store, MemoryStore)
    store.fail_after(3, deletes=True)  # cut off half-way, and unable to clean up
    with pytest.raises(PhrShareError):
        ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    store.fail_after(None)
    with services.db.session() as session:
        session.execute(
            update(Document).values(attempt="another-attempt", attempted_at=services.clock())
        )


def test_a_journal_another_attempt_holds_is_left_to_it(services: Services, demo_ccd: bytes) -> None:
    _hold_journal(services, demo_ccd)
    with pytest.raises(StoreConflict, match="being stored by another request"):
        ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert recover(services, OPERATOR) == 0
    assert _count(services, Document) == 1


def test_a_journal_held_past_the_time_any_ingest_takes_is_taken_over(
    services: Services, demo_ccd: bytes
) -> None:
    _hold_journal(services, demo_ccd)
    later = services.clock() + ABANDONED_AFTER + timedelta(seconds=1)
    services.clock = lambda: later
    result = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert result.created
    assert all(
        read_segment(services, owner(r), r) for r in segments_of(services, OPERATOR, PATIENT)
    )


@pytest.fixture
def patient_and_doctor(services: Services) -> tuple[Account, Account]:
    patient = create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT)
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR)
    accept_care(
        services, doctor.principal, invite_clinician(services, patient.principal, doctor.id)
    )
    return patient, doctor


def test_two_identical_grants_at_once_make_one(
    services: Services, database_url: str, patient_and_doctor: tuple[Account, Account]
) -> None:
    patient, doctor = patient_and_doctor
    sides = [_own_connection(services, database_url) for _ in range(2)]
    kinds = {K.PHYSICAL_SIGNS, K.HEALTH_STATUS}
    ids = _at_once(
        *(lambda s=s: grant_access(s, patient.principal, doctor.id, kinds) for s in sides)
    )
    assert isinstance(ids[0], int), ids
    assert ids[1] == ids[0]  # the second gets the first's grant
    assert _count(services, Grant) == 1
    for side in sides:
        side.db.dispose()


def test_a_grant_asked_for_again_is_the_same_grant_until_revoked(
    services: Services, patient_and_doctor: tuple[Account, Account]
) -> None:
    patient, doctor = patient_and_doctor
    first = grant_access(services, patient.principal, doctor.id, {K.LIFESTYLE})
    assert grant_access(services, patient.principal, doctor.id, {K.LIFESTYLE}) == first
    other = grant_access(services, patient.principal, doctor.id, {K.LIFESTYLE, K.OTHER})
    assert other != first
    later = services.clock() + timedelta(days=3)
    with pytest.raises(InvalidState, match="starts at another time"):
        grant_access(services, patient.principal, doctor.id, {K.LIFESTYLE}, valid_from=later)
    with pytest.raises(InvalidState, match="already has a live grant with these terms"):
        change_grant(services, patient.principal, other, kinds={K.LIFESTYLE})
    revoke_grant(services, patient.principal, first)
    assert grant_access(services, patient.principal, doctor.id, {K.LIFESTYLE}) not in {first, other}
