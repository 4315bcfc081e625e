"""The clinician-side queries: whose grants and emergencies list a patient by name,
which emergencies still run, who is told of a reading in the danger zone, and a
patient's newest targets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.consent import CareStatus, GrantStatus
from phr_share.db import (
    CareRelationship,
    CareTarget,
    Database,
    Emergency,
    Grant,
    Patient,
    User,
)
from phr_share.db.queries import clinical, targets

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PATIENT = uuid.UUID("00000000-0000-4000-8000-000000000001")
NO_ACCOUNT = uuid.UUID("00000000-0000-4000-8000-000000000002")
DOCTOR = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
NURSE = uuid.UUID("00000000-0000-4000-8000-0000000000d2")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    with database.session() as session:
        session.add_all([Patient(id=PATIENT, created_at=T0), Patient(id=NO_ACCOUNT, created_at=T0)])
        session.flush()
        session.add_all(
            [
                _user(uuid.uuid4(), "jordan", "patient", "Jordan Lee", PATIENT, "Asia/Tokyo"),
                _user(DOCTOR, "dr.kim", "doctor", "Dr Kim"),
                _user(NURSE, "nurse.ash", "nurse", "Ash"),
            ]
        )
    yield database
    database.dispose()


def _user(
    user_id: uuid.UUID,
    username: str,
    role: str,
    name: str,
    patient_id: uuid.UUID | None = None,
    zone: str | None = None,
) -> User:
    return User(
        id=user_id,
        username=username,
        role=role,
        display_name=name,
        patient_id=patient_id,
        created_at=T0,
        time_zone=zone,
    )


def _grant(patient_id: uuid.UUID, grantee: uuid.UUID, status: GrantStatus) -> Grant:
    return Grant(
        patient_id=patient_id,
        grantee_id=grantee,
        purpose="treatment",
        kinds="*",
        valid_from=T0,
        status=status.value,
        created_at=T0,
    )


def _emergency(patient_id: uuid.UUID, clinician: uuid.UUID, until: datetime) -> Emergency:
    return Emergency(
        patient_id=patient_id, clinician_id=clinician, reason="r", started_at=T0, until=until
    )


def test_a_patient_is_named_by_their_account(db: Database) -> None:
    with db.session() as session:
        assert clinical.display_name(session, PATIENT) == "Jordan Lee"
        assert clinical.time_zone(session, PATIENT) == "Asia/Tokyo"
        assert clinical.display_name(session, NO_ACCOUNT) is None
        assert clinical.time_zone(session, NO_ACCOUNT) is None


def test_grants_of_one_status_list_only_patients_with_an_account(db: Database) -> None:
    with db.session() as session:
        session.add_all(
            [
                _grant(PATIENT, DOCTOR, GrantStatus.ACTIVE),
                _grant(PATIENT, DOCTOR, GrantStatus.REVOKED),
                _grant(NO_ACCOUNT, DOCTOR, GrantStatus.ACTIVE),
                _grant(PATIENT, NURSE, GrantStatus.PENDING),
            ]
        )
    with db.session() as session:
        rows = clinical.grants_to(session, DOCTOR, GrantStatus.ACTIVE.value)
        assert [(g.patient_id, g.status, name) for g, name in rows] == [
            (PATIENT, "active", "Jordan Lee")
        ]
        assert sorted(clinical.grantees_of(session, PATIENT)) == sorted([DOCTOR, NURSE])
        assert {u.username for u in clinical.users(session, [DOCTOR, NURSE])} == {
            "dr.kim",
            "nurse.ash",
        }


def test_an_emergency_runs_until_its_end(db: Database) -> None:
    with db.session() as session:
        session.add_all([_emergency(PATIENT, DOCTOR, T0 + HOUR), _emergency(PATIENT, NURSE, T0)])
    with db.session() as session:
        assert clinical.live_emergency(session, PATIENT, DOCTOR, T0)
        assert not clinical.live_emergency(session, PATIENT, DOCTOR, T0 + HOUR)  # ended then
        assert not clinical.live_emergency(session, PATIENT, NURSE, T0)
        [(emergency, name)] = clinical.live_emergencies_of(session, DOCTOR, T0)
        assert (emergency.patient_id, name) == (PATIENT, "Jordan Lee")
        assert clinical.live_emergencies_of(session, NURSE, T0) == []


def test_quiet_carers_are_those_who_asked_not_to_be_told(db: Database) -> None:
    with db.session() as session:
        for clinician, status, told in [
            (DOCTOR, CareStatus.ACTIVE, False),
            (NURSE, CareStatus.INVITED, False),
        ]:
            session.add(
                CareRelationship(
                    patient_id=PATIENT,
                    clinician_id=clinician,
                    status=status,
                    initiated_by="patient",
                    created_at=T0,
                    danger_notices=told,
                )
            )
    with db.session() as session:
        assert clinical.quiet_carers(session, PATIENT, CareStatus.ACTIVE) == {DOCTOR}


def test_the_newest_targets_hold_and_of_two_at_once_the_later_row(db: Database) -> None:
    with db.session() as session:
        assert targets.latest_targets(session, PATIENT) is None
        for systolic, at in [(140, T0 + HOUR), (120, T0), (135, T0 + HOUR)]:
            session.add(
                CareTarget(
                    patient_id=PATIENT,
                    systolic=systolic,
                    diastolic=80,
                    glucose_low=70,
                    glucose_high=180,
                    set_by=DOCTOR,
                    set_at=at,
                )
            )
    with db.session() as session:
        latest = targets.latest_targets(session, PATIENT)
        assert latest is not None
        assert latest.systolic == 135
