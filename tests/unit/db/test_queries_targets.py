"""The targets query over a real database: the newest setting holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.db import CareTarget, Database, Patient, User
from phr_share.db.queries import targets

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PATIENT = uuid.UUID("00000000-0000-4000-8000-000000000001")
DOCTOR = uuid.UUID("00000000-0000-4000-8000-0000000000d1")


@pytest.fixture
def db(blank_db: Database) -> Database:
    database = blank_db
    with database.session() as session:
        session.add(Patient(id=PATIENT, created_at=T0))
        session.add(
            User(id=DOCTOR, username="dr.kim", role="doctor", display_name="Dr Kim", created_at=T0)
        )
    return database


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
