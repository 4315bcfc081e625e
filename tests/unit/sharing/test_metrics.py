"""The use cases count through their Metrics interface: ingests, release runs and
items, and storage errors by store and operation (nothing that names a patient)."""

from __future__ import annotations

from collections import Counter

import pytest

from phr_share.errors import KAnonymityNotReached, ObjectNotFound, StoreUnavailable
from phr_share.models import Role
from phr_share.sharing import (
    OPERATOR,
    Services,
    StoreRole,
    choose_release,
    create_user,
    ingest_document,
    read_segment,
    run_release,
    segments_of,
)
from phr_share.sharing.metrics import NO_METRICS, note_store_error
from tests.conftest import PATIENT
from tests.unit.sharing.test_release import VITALS, _ingest_people


class Recorded:
    """A Metrics that keeps what it was told."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, ...]] = Counter()

    def ingested(self, documents: int) -> None:
        self.counts["ingested",] += documents

    def release_ran(self, outcome: str) -> None:
        self.counts["run", outcome] += 1

    def release_items(self, outcome: str, count: int) -> None:
        self.counts["item", outcome] += count

    def store_error(self, store: StoreRole, operation: str) -> None:
        self.counts["error", store.value, operation] += 1


@pytest.fixture
def recorded(services: Services) -> Recorded:
    kept = Recorded()
    services.metrics = kept
    return kept


def test_nothing_is_counted_by_default(services: Services) -> None:
    assert services.metrics is NO_METRICS


def test_ingests_and_releases_are_counted(
    services: Services, recorded: Recorded, demo_ccd: bytes
) -> None:
    _ingest_people(services, demo_ccd, VITALS)
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)  # stored already: not counted
    report = run_release(services, OPERATOR)
    run_release(services, OPERATOR)  # nothing waits now
    assert recorded.counts["ingested",] == 4
    assert recorded.counts["run", "published"] == 1
    assert recorded.counts["run", "empty"] == 1
    assert recorded.counts["item", "published"] == report.segments_published > 0


def test_a_refused_and_a_failed_release_are_counted(
    services: Services, recorded: Recorded, demo_ccd: bytes
) -> None:
    choose_release(services, OPERATOR, PATIENT, VITALS)
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    with pytest.raises(KAnonymityNotReached):
        run_release(services, OPERATOR)
    assert recorded.counts["run", "refused"] == 1
    _ingest_people(services, demo_ccd, VITALS)
    services.public.fail_after(0)  # type: ignore[attr-defined]
    with pytest.raises(StoreUnavailable):
        run_release(services, OPERATOR)
    assert recorded.counts["run", "failed"] == 1
    assert recorded.counts["error", "public", "publish"] == 1


def test_store_errors_are_counted_by_store_and_operation(
    services: Services, recorded: Recorded, demo_ccd: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.private.fail_after(1)  # type: ignore[attr-defined]
    with pytest.raises(StoreUnavailable):
        ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert recorded.counts["error", "private", "put"] == 1
    services.private.fail_after(None)  # type: ignore[attr-defined]
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)

    def gone(container: str, name: str) -> None:
        raise StoreUnavailable("the object store is unavailable")

    monkeypatch.setattr(services.private, "get", gone)
    patient = create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT)
    record = segments_of(services, patient.principal, PATIENT)[0]
    with pytest.raises(StoreUnavailable):
        read_segment(services, patient.principal, record)
    assert recorded.counts["error", "private", "get"] == 1


def test_only_storage_errors_are_the_stores() -> None:
    kept = Recorded()
    note_store_error(kept, StoreRole.PRIVATE, "get", ObjectNotFound("no such object"))
    note_store_error(kept, StoreRole.PRIVATE, "get", StoreUnavailable("down"))
    assert kept.counts == Counter({("error", "private", "get"): 1})
