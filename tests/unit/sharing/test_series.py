"""The measurement series: written with each document, read through the decision point,
rebuilt from the segments, shredded with the patient."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from phr_share.audit import Action, Outcome
from phr_share.ccda import PatientHeader, parse_readings, readings_document
from phr_share.consent import Principal, Role
from phr_share.db import SeriesBucket
from phr_share.errors import IntegrityError, KeyErased, StoreConflict
from phr_share.models import SegmentKind as K
from phr_share.series import Point, summarise
from phr_share.series.points import DIASTOLIC, SYSTOLIC
from phr_share.series.view import chart_view
from phr_share.sharing import (
    OPERATOR,
    Services,
    accept_care,
    access_history,
    audit_entries,
    container_for,
    create_user,
    dashboard_of,
    erase_patient,
    grant_access,
    ingest_batch,
    ingest_document,
    invite_clinician,
    read_sections,
    read_series,
    rebuild_series,
    stored_documents,
    summary_from,
)
from phr_share.sharing import series as series_module
from tests.conftest import PATIENT

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def sitting(at: datetime, systolic: int, *, document_id: uuid.UUID | None = None) -> bytes:
    """One home sitting: blood pressure, heart rate and weight, and a pain score."""
    form = {
        "systolic": str(systolic),
        "diastolic": "82",
        "heart_rate": "64",
        "weight": "80",
        "pain": "3",
    }
    readings = parse_readings(form, now=at)
    return readings_document(readings, PatientHeader(PATIENT), document_id or uuid.uuid4())


def ingest_days(svc: Services, days: int) -> None:
    for day in range(days):
        at = NOW - timedelta(days=day, hours=3)
        ingest_document(svc, OPERATOR, sitting(at, 120 + day % 20), PATIENT)


def rows(svc: Services) -> list[SeriesBucket]:
    with svc.db.session() as session:
        found = session.scalars(
            select(SeriesBucket).order_by(SeriesBucket.kind, SeriesBucket.month)
        ).all()
        session.expunge_all()
    return list(found)


@pytest.fixture
def patient(services: Services) -> Principal:
    return create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT).principal


def everything(
    svc: Services, patient: Principal
) -> set[tuple[str, float, str, datetime, uuid.UUID]]:
    return {
        (p.code, p.value, p.unit, p.at, p.source)
        for p in read_series(svc, patient, PATIENT).points()
    }


def test_ingest_writes_one_sealed_bucket_per_kind_and_month(services: Services) -> None:
    ingest_days(services, 40)  # 2026-10-14 .. 2026-11-22
    found = rows(services)
    assert {(r.kind, r.month) for r in found} == {
        (kind, month)
        for kind in (K.PHYSICAL_SIGNS.value, K.BODY_MEASURES.value, K.PATIENT_NARRATIVE.value)
        for month in ("2026-10", "2026-11")
    }
    vitals = {r.month: r.points for r in found if r.kind == K.PHYSICAL_SIGNS.value}
    # Systolic, diastolic and heart rate at each sitting; 18 in October.
    assert vitals == {"2026-10": 18 * 3, "2026-11": 22 * 3}
    assert all(r.revision >= 1 for r in found)
    # In clear: the patient's opaque id, kind, month and count; the rest is the sealed blob.
    columns = {c.name for c in inspect(SeriesBucket).columns}
    assert columns == {
        "id", "patient_id", "kind", "month", "revision", "points", "key_id", "sealed",
    }  # fmt: skip
    for row in found:
        assert b"8480-6" not in row.sealed
        assert b"mm[Hg]" not in row.sealed


def test_the_same_document_again_changes_nothing(services: Services) -> None:
    document = sitting(NOW - timedelta(hours=2), 131)
    ingest_document(services, OPERATOR, document, PATIENT)
    before = [(r.kind, r.month, r.revision, r.sealed) for r in rows(services)]
    result = ingest_document(services, OPERATOR, document, PATIENT)
    assert not result.created
    assert [(r.kind, r.month, r.revision, r.sealed) for r in rows(services)] == before


@pytest.mark.parametrize("new_id", [False, True], ids=["amended", "new-id-same-set"])
def test_a_new_version_replaces_the_points_of_the_one_before(
    services: Services, patient: Principal, new_id: bool
) -> None:
    first_id = uuid.uuid4()
    first = sitting(NOW - timedelta(days=45), 150, document_id=first_id)  # 2026-10-08
    ingest_document(services, OPERATOR, first, PATIENT)
    # The sitting corrected, and dated a month later: the old points sit in a bucket the
    # new version does not touch.
    fixed = first.replace(b'value="150"', b'value="135"').replace(b"20261008", b"20261108")
    if new_id:  # what an EHR sends: a new id, the set id of the first, version 2
        fixed = fixed.replace(str(first_id).encode(), str(uuid.uuid4()).encode(), 1).replace(
            b'<languageCode code="en-US"/>',
            f'<languageCode code="en-US"/><setId root="{first_id}"/>'
            '<versionNumber value="2"/>'.encode(),
        )
    assert fixed != first
    result = ingest_document(services, OPERATOR, fixed, PATIENT)
    assert result.version == 2
    points = read_series(services, patient, PATIENT).points()
    assert [(p.value, p.at.month) for p in points if p.code == SYSTOLIC] == [(135.0, 11)]
    assert not [r for r in rows(services) if r.month == "2026-10"]


def test_a_reader_sees_only_the_kinds_the_decision_point_permits(
    services: Services, patient: Principal
) -> None:
    ingest_days(services, 3)
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR)
    nothing = read_series(services, doctor.principal, PATIENT)
    assert nothing.tables == {}
    assert K.PHYSICAL_SIGNS in nothing.denied
    accept_care(services, doctor.principal, invite_clinician(services, patient, doctor.id))
    grant = grant_access(services, patient, doctor.id, {K.PHYSICAL_SIGNS})
    read = read_series(services, doctor.principal, PATIENT)
    assert set(read.tables) == {K.PHYSICAL_SIGNS}
    assert {p.code for p in read.points()} >= {SYSTOLIC, DIASTOLIC}
    reads = [
        e
        for e in audit_entries(services, OPERATOR)
        if e.action is Action.READ and e.actor == doctor.principal.id and e.outcome is Outcome.OK
    ]
    assert [(e.subject, e.details["reason"], e.details["basis"]) for e in reads] == [
        ("series:physical-signs", "grant", f"grant:{grant}")
    ]
    # The patient sees the read in their access history, under the kind it read.
    history = access_history(services, patient, PATIENT)
    assert any(e.actor == doctor.principal.id and e.kind == "physical-signs" for e in history)


def test_summary_and_chart_from_the_series_agree_with_the_segments(
    services: Services, patient: Principal
) -> None:
    ingest_days(services, 30)
    sections = read_sections(
        services,
        patient,
        PATIENT,
        kinds={K.PHYSICAL_SIGNS, K.LIFESTYLE, K.PATIENT_NARRATIVE, K.BODY_MEASURES},
    )
    from_segments = summary_from(sections, now=NOW, days=14)
    dashboard = dashboard_of(services, patient, PATIENT, days=14)
    assert dashboard.summary == from_segments
    points = sorted(
        (
            Point(m.code, m.value, m.unit, m.at, s.record.tracking_id, s.record.kind.value)
            for s in sections
            for m in s.measurements
        ),
        key=lambda p: p.at,
    )
    view = chart_view(points, start=dashboard.chart.start, end=NOW, zone=ZoneInfo("UTC"))
    assert dashboard.chart.to_json() == view.to_json()


def test_rebuild_writes_what_ingest_wrote(services: Services, patient: Principal) -> None:
    ingest_days(services, 35)
    before = everything(services, patient)
    report = rebuild_series(services, OPERATOR, PATIENT)
    assert report.points == len(before)
    assert everything(services, patient) == before
    rebuild_reads = [e for e in audit_entries(services, OPERATOR) if e.actor == "system:series"]
    assert rebuild_reads
    assert {e.details["reason"] for e in rebuild_reads} == {"series-rebuild"}
    assert {e.details["kind"] for e in rebuild_reads} <= {k.value for k in K} - {"personal"}


def test_a_rebuild_after_the_series_was_lost_brings_it_back(
    services: Services, patient: Principal
) -> None:
    ingest_days(services, 10)
    before = everything(services, patient)
    with services.db.session() as session:
        session.execute(SeriesBucket.__table__.delete())
    assert everything(services, patient) == set()
    rebuild_series(services, OPERATOR, PATIENT)
    assert everything(services, patient) == before


def test_a_bucket_moved_to_another_row_does_not_open(
    services: Services, patient: Principal
) -> None:
    ingest_days(services, 40)
    found = [r for r in rows(services) if r.kind == K.PHYSICAL_SIGNS.value]
    with services.db.session() as session:
        session.execute(
            update(SeriesBucket)
            .where(SeriesBucket.id == found[0].id)
            .values(sealed=found[1].sealed)
        )
    with pytest.raises(IntegrityError):
        read_series(services, patient, PATIENT)
    failed = [
        e
        for e in audit_entries(services, OPERATOR)
        if e.action is Action.READ and e.outcome is Outcome.FAILED
    ]
    assert failed
    assert failed[-1].subject == "series:physical-signs"


def test_erasure_leaves_no_bucket(services: Services, patient: Principal) -> None:
    ingest_days(services, 5)
    assert rows(services)
    erase_patient(services, OPERATOR, PATIENT)
    assert rows(services) == []
    with pytest.raises(KeyErased):  # said, rather than read as an empty record
        read_series(services, patient, PATIENT)


def test_documents_stored_at_once_lose_no_point(services: Services, patient: Principal) -> None:
    # Eight sittings of one month stored by four threads: every bucket write that loses
    # the race starts its transaction again.
    documents = [sitting(NOW - timedelta(days=d, hours=1), 120 + d) for d in range(9)]
    # The first alone: a patient's first document creates their record and key.
    ingest_document(services, OPERATOR, documents.pop(), PATIENT)
    errors: list[BaseException] = []

    def store(part: list[bytes]) -> None:
        try:
            for document in part:
                ingest_document(services, OPERATOR, document, PATIENT)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=store, args=(documents[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    systolic = sorted(
        p.value for p in read_series(services, patient, PATIENT).points() if p.code == SYSTOLIC
    )
    assert systolic == [120.0 + d for d in range(9)]


def test_the_summary_of_a_window_reads_the_series_once(
    services: Services, patient: Principal
) -> None:
    ingest_days(services, 20)
    summary = dashboard_of(services, patient, PATIENT, days=14).summary
    points = read_series(services, patient, PATIENT).points()
    assert summary == summarise(points, now=NOW, zone=ZoneInfo("UTC"), days=14)


def test_a_writer_that_finds_its_bucket_moved_starts_again(
    services: Services, patient: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_document(services, OPERATOR, sitting(NOW - timedelta(days=2), 121), PATIENT)
    real = series_module._rewrite
    calls: list[int] = []

    def moved_underneath(
        svc: Services, session: Session, row: SeriesBucket, key: tuple[str, bytes]
    ) -> pa.Table:
        points = real(svc, session, row, key)
        calls.append(row.revision)
        if len(calls) == 1:  # another writer's update lands between our read and write
            session.execute(
                update(SeriesBucket)
                .where(SeriesBucket.id == row.id)
                .values(revision=SeriesBucket.revision + 1)
            )
        return points

    monkeypatch.setattr(series_module, "_rewrite", moved_underneath)
    ingest_document(services, OPERATOR, sitting(NOW - timedelta(days=1), 122), PATIENT)
    # Rolled back and started again from the bucket as it was.
    assert len(calls) >= 2
    assert calls[0] == calls[-1]
    systolic = [
        p.value for p in read_series(services, patient, PATIENT).points() if p.code == SYSTOLIC
    ]
    assert sorted(systolic) == [121.0, 122.0]


def test_a_writer_that_always_loses_the_race_stores_nothing(
    services: Services, patient: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_document(services, OPERATOR, sitting(NOW - timedelta(days=2), 121), PATIENT)
    before = [(r.kind, r.month, r.revision) for r in rows(services)]
    documents = stored_documents(services, OPERATOR, PATIENT)
    objects = services.private.list(container_for(PATIENT))

    def always_moved(
        svc: Services, session: Session, row: SeriesBucket, key: tuple[str, bytes]
    ) -> pa.Table:
        raise series_module.BucketMoved("moved")

    monkeypatch.setattr(series_module, "_rewrite", always_moved)
    with pytest.raises(StoreConflict):
        ingest_document(services, OPERATOR, sitting(NOW - timedelta(days=1), 122), PATIENT)
    # The document rolled back whole: neither it nor its objects nor its points stay.
    assert stored_documents(services, OPERATOR, PATIENT) == documents
    assert [(r.kind, r.month, r.revision) for r in rows(services)] == before
    assert services.private.list(container_for(PATIENT)) == objects


def test_two_versions_stored_in_one_batch_leave_the_later_ones_points(
    services: Services, patient: Principal
) -> None:
    first_id = uuid.uuid4()
    first = sitting(NOW - timedelta(days=45), 150, document_id=first_id)
    fixed = first.replace(b'value="150"', b'value="135"')
    others = [sitting(NOW - timedelta(days=d), 120 + d) for d in range(3)]
    results = ingest_batch(services, OPERATOR, [(d, PATIENT) for d in (first, *others, fixed)])
    assert [r.version for r in results] == [1, 1, 1, 1, 2]  # type: ignore[union-attr]
    systolic = sorted(
        p.value for p in read_series(services, patient, PATIENT).points() if p.code == SYSTOLIC
    )
    assert systolic == [120.0, 121.0, 122.0, 135.0]
    assert everything(services, patient) == _after_rebuild(services, patient)


def _after_rebuild(
    svc: Services, patient: Principal
) -> set[tuple[str, float, str, datetime, uuid.UUID]]:
    rebuild_series(svc, OPERATOR, PATIENT)
    return everything(svc, patient)


def test_a_rebuild_reads_again_when_a_document_came_in_while_it_read(
    services: Services, patient: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_days(services, 3)
    real = series_module.read_permitted
    late = sitting(NOW - timedelta(minutes=30), 177)
    calls: list[int] = []

    def meanwhile(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(1)
        if len(calls) == 1:  # stored after the rebuild listed the segments
            ingest_document(services, OPERATOR, late, PATIENT)
        return found

    monkeypatch.setattr(series_module, "read_permitted", meanwhile)
    rebuild_series(services, OPERATOR, PATIENT)
    assert len(calls) == 2
    values = [p.value for p in read_series(services, patient, PATIENT).points()]
    assert 177.0 in values
