"""The series queries: a bucket changes only at the revision its writer read, and locks
are taken in one order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from phr_share.db import Database, Patient, SeriesBucket
from phr_share.db.queries import series
from phr_share.models import SegmentKind as K

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PATIENT = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000002")


@pytest.fixture
def db(blank_db: Database) -> Database:
    database = blank_db
    with database.session() as session:
        session.add_all([Patient(id=PATIENT, created_at=T0), Patient(id=OTHER, created_at=T0)])
        for patient, kind, month in [
            (PATIENT, K.PHYSICAL_SIGNS, "2026-02"),
            (PATIENT, K.BODY_MEASURES, "2026-01"),
            (PATIENT, K.PHYSICAL_SIGNS, "2026-01"),
            (OTHER, K.PHYSICAL_SIGNS, "2026-01"),
        ]:
            session.add(
                SeriesBucket(
                    patient_id=patient,
                    kind=kind.value,
                    month=month,
                    revision=1,
                    points=1,
                    key_id="k1",
                    sealed=b"sealed",
                )
            )
    return database


def _addresses(rows: list[SeriesBucket]) -> list[tuple[str, str]]:
    return [(row.kind, row.month) for row in rows]


def test_buckets_come_in_kind_and_month_order_and_only_the_patients(db: Database) -> None:
    with db.session() as session:
        assert _addresses(series.lock_buckets(session, PATIENT)) == [
            ("body-measures", "2026-01"),
            ("physical-signs", "2026-01"),
            ("physical-signs", "2026-02"),
        ]
        some = series.lock_buckets(session, PATIENT, kinds={"physical-signs"}, months={"2026-02"})
        assert _addresses(some) == [("physical-signs", "2026-02")]
        assert series.lock_buckets(session, PATIENT, kinds=set(), months=set()) == []
        read = series.buckets_of(session, PATIENT, [K.PHYSICAL_SIGNS])
        assert _addresses(read) == [("physical-signs", "2026-01"), ("physical-signs", "2026-02")]


def test_a_bucket_changes_only_at_the_revision_read(db: Database) -> None:
    with db.session() as session:
        [row] = series.buckets_of(session, OTHER, [K.PHYSICAL_SIGNS])
        bucket_id = row.id
    with db.session() as session:
        assert not series.update_bucket(
            session, bucket_id, 2, new_revision=3, points=2, key_id="k1", sealed=b"x"
        )
        assert series.update_bucket(
            session, bucket_id, 1, new_revision=2, points=2, key_id="k2", sealed=b"x"
        )
    with db.session() as session:
        assert not series.delete_bucket(session, bucket_id, 1)  # it moved on to 2
        assert series.delete_bucket(session, bucket_id, 2)
    with db.session() as session:
        assert series.buckets_of(session, OTHER, [K.PHYSICAL_SIGNS]) == []
        series.delete_buckets(session, PATIENT)
    with db.session() as session:
        assert series.lock_buckets(session, PATIENT) == []
