"""The home readings table: sittings from the series, a page at a time, newest first."""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.audit import Action
from phr_share.ccda import PatientHeader, parse_readings, readings_document
from phr_share.consent import Principal, Purpose, Role
from phr_share.models import SegmentKind as K
from phr_share.series.points import SYSTOLIC
from phr_share.sharing import (
    OPERATOR,
    IngestResult,
    Services,
    accept_care,
    audit_entries,
    create_user,
    grant_access,
    home_points,
    ingest_document,
    invite_clinician,
    read_sections,
    read_series,
    readings_page,
)
from tests.conftest import PATIENT

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def patient(services: Services) -> Principal:
    return create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT).principal


def store(svc: Services, at: datetime, form: dict[str, str]) -> int:
    readings = parse_readings(form, now=at)
    document = readings_document(readings, PatientHeader(PATIENT), uuid.uuid4())
    return ingest_document(svc, OPERATOR, document, PATIENT).document_id


def test_pages_of_sittings_newest_first(services: Services, patient: Principal) -> None:
    for day in range(45):
        at = NOW - timedelta(days=day, hours=2)
        store(services, at, {"systolic": str(100 + day), "diastolic": "80"})
    first = readings_page(services, patient, PATIENT, per_page=20)
    assert (first.page, first.pages, first.total) == (1, 3, 45)
    assert [s.measured[SYSTOLIC].value for s in first.sittings] == [100 + d for d in range(20)]
    last = readings_page(services, patient, PATIENT, page=3, per_page=20)
    assert [s.measured[SYSTOLIC].value for s in last.sittings] == [140 + d for d in range(5)]
    assert readings_page(services, patient, PATIENT, page=99, per_page=20).page == 3
    with pytest.raises(ValueError, match="page"):
        readings_page(services, patient, PATIENT, page=0)


def test_what_was_written_joins_its_sitting_and_a_note_alone_stays_a_section(
    services: Services, patient: Principal, demo_ccd: bytes
) -> None:
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)  # a clinic's vital signs
    at = NOW - timedelta(days=1)
    store(services, at, {"systolic": "150", "diastolic": "95", "diet": "soup", "pain": "6"})
    alone = store(services, NOW - timedelta(days=2), {"note": "forgot the cuff"})
    found = readings_page(services, patient, PATIENT)
    assert found.total == 1  # the clinic's vital signs are not home readings
    (sitting,) = found.sittings
    assert sitting.at == at
    assert sitting.measured[SYSTOLIC].value == 150
    assert sitting.said["72514-3"] == ("6 / 10",)
    assert any("soup" in text for texts in sitting.said.values() for text in texts)
    assert alone not in found.documents  # no sitting to put it in: shown as a section
    shown = read_sections(services, patient, PATIENT, tabled=found.documents)
    assert alone in {s.record.document_id for s in shown}
    assert not [s for s in shown if s.record.document_id in found.documents and s.record.kind
                in {K.PHYSICAL_SIGNS, K.PATIENT_NARRATIVE, K.LIFESTYLE}]  # fmt: skip
    csv_points = home_points(services, patient, PATIENT)
    assert {p.code for p in csv_points} >= {SYSTOLIC, "72514-3"}
    assert all(p.at == at for p in csv_points)


def test_a_doctor_sees_the_kinds_granted_and_the_page_reads_the_series_once(
    services: Services, patient: Principal
) -> None:
    store(services, NOW - timedelta(days=1), {"systolic": "150", "diastolic": "95", "pain": "6"})
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR)
    accept_care(services, doctor.principal, invite_clinician(services, patient, doctor.id))
    grant_access(services, patient, doctor.id, {K.PHYSICAL_SIGNS})
    read = read_series(services, doctor.principal, PATIENT)
    found = readings_page(services, doctor.principal, PATIENT, read=read)
    (sitting,) = found.sittings
    assert sitting.measured[SYSTOLIC].value == 150
    assert sitting.said == {}  # the patient's own account was not shared
    reads = [
        e
        for e in audit_entries(services, OPERATOR)
        if e.actor == doctor.principal.id and e.action is Action.READ
    ]
    assert [e.subject for e in reads] == ["series:physical-signs"]
    with pytest.raises(ValueError, match="same reader"):
        readings_page(services, patient, PATIENT, read=read)
    with pytest.raises(ValueError, match="same reader"):
        readings_page(services, doctor.principal, PATIENT, read=read, purpose=Purpose.EMERGENCY)


def test_a_note_without_a_time_of_its_own_joins_its_sitting(
    services: Services, patient: Principal
) -> None:
    at = NOW - timedelta(days=1)
    store(services, at, {"systolic": "150", "diastolic": "95", "note": "dizzy after lunch"})
    (sitting,) = readings_page(services, patient, PATIENT).sittings
    assert sitting.measured[SYSTOLIC].value == 150
    assert any("dizzy after lunch" in text for texts in sitting.said.values() for text in texts)


def test_a_version_stored_after_a_later_one_adds_no_points(
    services: Services, patient: Principal
) -> None:
    first_id = uuid.uuid4()
    readings = parse_readings({"systolic": "150", "diastolic": "95"}, now=NOW - timedelta(days=1))
    v1 = readings_document(readings, PatientHeader(PATIENT), first_id)
    v2 = v1.replace(b'value="150"', b'value="140"')
    v3 = v1.replace(b'value="150"', b'value="130"')
    ingest_document(services, OPERATOR, v1, PATIENT)
    # v2 journalled (pending), then v3 stored, then v2 finishes: v3's points stay.
    from phr_share.sharing import ingest as ingest_module

    job = ingest_module._prepare(services, v2, hashlib.sha256(v2).hexdigest(), PATIENT)
    ingest_document(services, OPERATOR, v3, PATIENT)
    with ThreadPoolExecutor(2) as pool:
        job.futures = [pool.submit(ingest_module._put, services, job, s) for s in job.to_write]
        assert isinstance(ingest_module._finish(services, job, OPERATOR.id), IngestResult)
    systolic = [
        p.value for p in read_series(services, patient, PATIENT).points() if p.code == SYSTOLIC
    ]
    assert systolic == [130.0]
