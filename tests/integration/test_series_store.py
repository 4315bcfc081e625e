"""The measurement series against the real local Swift: what ingest writes agrees with the
segments, a store dying mid-batch leaves no partial series, erasure leaves no bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from phr_share import stack
from phr_share.ccda import PatientHeader, parse_readings, readings_document
from phr_share.consent import Principal, Role
from phr_share.db import SeriesBucket
from phr_share.errors import KeyErased, PhrShareError, StoreUnavailable
from phr_share.series import Point
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    IngestResult,
    Services,
    create_user,
    dashboard_of,
    erase_patient,
    ingest_batch,
    open_services,
    read_sections,
    read_series,
    recover,
    summary_from,
)
from phr_share.sharing.charts import CHARTED_KINDS
from tests.integration.conftest import DyingAfter

PATIENT = uuid.UUID("0b7a3c2e-5d41-4f6a-9e0b-3c8d2f1a7e55")


@pytest.fixture
def svc(stack_settings: Settings, database_url: str, tmp_path: Path) -> Iterator[Services]:
    chosen = replace(
        stack_settings, database_url=database_url, state_dir=tmp_path, deid_secret=bytes(32)
    )
    services = open_services(chosen)
    now = datetime.now(UTC)
    services.clock = lambda: now  # one moment, so two summaries of it compare equal
    yield services
    services.db.dispose()


def sittings(svc: Services, count: int) -> list[tuple[bytes, uuid.UUID]]:
    now = svc.clock()
    documents = []
    for n in range(count):
        at = (now - timedelta(days=n // 2, hours=12 * (n % 2) + 1)).replace(microsecond=0)
        form = {"systolic": str(118 + n % 25), "diastolic": "79", "glucose": str(95 + n % 40)}
        readings = parse_readings({**form, "pain": str(n % 5)}, now=at)
        document = readings_document(readings, PatientHeader(PATIENT), uuid.uuid4())
        documents.append((document, PATIENT))
    return documents


def from_segments(svc: Services, patient: Principal) -> set[tuple[str, float, datetime]]:
    sections = read_sections(svc, patient, PATIENT, kinds=CHARTED_KINDS)
    return {(m.code, m.value, m.at.astimezone(UTC)) for s in sections for m in s.measurements}


def from_series(svc: Services, patient: Principal) -> list[tuple[str, float, datetime]]:
    points: list[Point] = read_series(svc, patient, PATIENT, kinds=CHARTED_KINDS).points()
    return [(p.code, p.value, p.at.astimezone(UTC)) for p in points]


def test_swift_dying_mid_batch_leaves_the_series_as_the_stored_segments(
    svc: Services, stack_dir: Path
) -> None:
    patient = create_user(svc, OPERATOR, "kai", Role.PATIENT, patient_id=PATIENT).principal
    items = sittings(svc, 24)
    real = svc.private
    # The proxy stops after 20 of the batch's writes went through it, whatever the pace.
    svc.private = DyingAfter(real, stack_dir, 20, "swift-proxy")  # type: ignore[assignment]
    try:
        outcomes = ingest_batch(svc, OPERATOR, items)
    finally:
        stack.start_service(stack_dir, "swift-proxy")
        svc.private = real
    stored = [o for o in outcomes if isinstance(o, IngestResult)]
    assert stored, "nothing was stored before the proxy stopped"
    assert len(stored) < len(items), "the proxy was stopped mid-batch, yet nothing failed"
    assert all(isinstance(o, StoreUnavailable | IngestResult) for o in outcomes)
    recover(svc, OPERATOR)
    series = from_series(svc, patient)
    assert len(series) == len(set(series))  # nothing doubled
    assert set(series) == from_segments(svc, patient)  # nothing of a failed document
    retried = ingest_batch(svc, OPERATOR, items)
    assert not [o for o in retried if isinstance(o, PhrShareError)]
    series = from_series(svc, patient)
    assert len(series) == len(set(series))
    assert set(series) == from_segments(svc, patient)
    # Blood pressure, glucose and pain at each of the 24 sittings.
    assert len(series) == 24 * 4


def test_charts_and_summary_from_the_series_agree_with_the_segments(svc: Services) -> None:
    patient = create_user(svc, OPERATOR, "kai", Role.PATIENT, patient_id=PATIENT).principal
    ingest_batch(svc, OPERATOR, sittings(svc, 40))
    sections = read_sections(svc, patient, PATIENT, kinds=CHARTED_KINDS)
    dashboard = dashboard_of(svc, patient, PATIENT, days=14)
    assert dashboard.summary == summary_from(sections, now=svc.clock(), days=14)
    start = dashboard.summary.window.start
    in_window = [m for s in sections for m in s.measurements if m.code == "8480-6"]
    assert dashboard.summary.bp.readings == len([m for m in in_window if m.at >= start]) > 20
    charted = {line.code: len(line.samples) for line in dashboard.chart.lines}
    assert charted == {"8480-6": 40, "8462-4": 40, "2339-0": 40, "72514-3": 40}


def test_erasure_leaves_no_bucket_and_a_copy_kept_elsewhere_does_not_open(
    svc: Services,
) -> None:
    patient = create_user(svc, OPERATOR, "kai", Role.PATIENT, patient_id=PATIENT).principal
    ingest_batch(svc, OPERATOR, sittings(svc, 6))
    with svc.db.session() as session:
        kept = [
            {c.name: getattr(row, c.name) for c in SeriesBucket.__table__.columns}
            for row in session.scalars(select(SeriesBucket))
        ]
    assert kept
    erase_patient(svc, OPERATOR, PATIENT)
    with svc.db.session() as session:
        assert session.scalars(select(SeriesBucket)).all() == []
        session.execute(insert(SeriesBucket), kept)  # a backup of the index put back
    with pytest.raises(KeyErased):
        read_series(svc, patient, PATIENT)
