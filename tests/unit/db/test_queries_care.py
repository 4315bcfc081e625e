"""Care's queries over a real database: open relationships by either side, newest first,
the open one between two people, the caregivers in a patient's care, and who is not told
of a reading in the danger zone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from phr_share.consent import CareStatus
from phr_share.db import CareRelationship, Database, Patient, User
from phr_share.db.queries import care as care_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PATIENT = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER_PATIENT = uuid.UUID("00000000-0000-4000-8000-00000000000b")
OWNER = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
DOCTOR = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
CARER = uuid.UUID("00000000-0000-4000-8000-0000000000c1")


def _user(user_id: uuid.UUID, username: str, role: str, patient: uuid.UUID | None = None) -> User:
    return User(
        id=user_id,
        username=username,
        role=role,
        display_name=username.title(),
        patient_id=patient,
        created_at=NOW,
    )


@pytest.fixture
def db(blank_db: Database) -> Database:
    db = blank_db
    with db.session() as session:
        session.add_all(Patient(id=p, created_at=NOW) for p in (PATIENT, OTHER_PATIENT))
        session.flush()
        session.add_all(
            [
                _user(OWNER, "pat", "patient", PATIENT),
                _user(DOCTOR, "doc", "doctor"),
                _user(CARER, "sam.child", "caregiver"),
            ]
        )
    return db


def _care(
    db: Database, *pairs: tuple[uuid.UUID, uuid.UUID, CareStatus], told: bool = True
) -> list[int]:
    with db.session() as session:
        rows = [
            CareRelationship(
                patient_id=patient,
                clinician_id=clinician,
                status=status,
                initiated_by="patient",
                created_at=NOW,
                danger_notices=told,
            )
            for patient, clinician, status in pairs
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_open_relationships_leave_out_ended_ones_newest_first(db: Database) -> None:
    ended, doctor, carer, other = _care(
        db,
        (PATIENT, DOCTOR, CareStatus.ENDED),
        (PATIENT, DOCTOR, CareStatus.REQUESTED),
        (PATIENT, CARER, CareStatus.ACTIVE),
        (OTHER_PATIENT, DOCTOR, CareStatus.ACTIVE),
    )
    with db.session() as session:
        of_patient = care_rows.open_relationships(session, patient_id=PATIENT)
        assert [row.id for row in of_patient] == [carer, doctor]
        of_doctor = care_rows.open_relationships(session, clinician_id=DOCTOR)
        assert [row.id for row in of_doctor] == [other, doctor]
        both = care_rows.open_relationships(session, clinician_id=DOCTOR, patient_id=PATIENT)
        assert [row.id for row in both] == [doctor]
        assert ended not in {row.id for row in of_patient}


def test_caregivers_in_care_are_the_active_caregivers_only(db: Database) -> None:
    _, carer = _care(db, (PATIENT, DOCTOR, CareStatus.ACTIVE), (PATIENT, CARER, CareStatus.ACTIVE))
    with db.session() as session:
        found = care_rows.caregivers_in_care(session, PATIENT)
        assert [(care.id, user.id) for care, user in found] == [(carer, CARER)]
        assert care_rows.caregivers_in_care(session, OTHER_PATIENT) == []


def test_the_open_relationship_between_two_is_one_not_ended(db: Database) -> None:
    _care(db, (PATIENT, DOCTOR, CareStatus.ENDED))
    with db.session() as session:
        assert care_rows.open_relationship(session, PATIENT, DOCTOR) is None
    [active] = _care(db, (PATIENT, DOCTOR, CareStatus.ACTIVE))
    with db.session() as session:
        found = care_rows.open_relationship(session, PATIENT, DOCTOR)
        assert found is not None
        assert found.id == active
        assert care_rows.open_relationship(session, OTHER_PATIENT, DOCTOR) is None


def test_quiet_carers_are_the_active_ones_who_asked_not_to_be_told(db: Database) -> None:
    _care(
        db, (PATIENT, DOCTOR, CareStatus.ACTIVE), (PATIENT, CARER, CareStatus.INVITED), told=False
    )
    _care(db, (OTHER_PATIENT, CARER, CareStatus.ACTIVE))
    with db.session() as session:
        assert care_rows.quiet_carers(session, PATIENT) == {DOCTOR}
        assert care_rows.quiet_carers(session, OTHER_PATIENT) == set()
