"""A sealed bucket opens only where it was written: its patient, kind, month, revision, key."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from phr_share.crypto import new_key
from phr_share.errors import IntegrityError
from phr_share.series.bucket import points_of
from phr_share.series.points import SYSTOLIC, Point
from phr_share.series.sealed import BucketAddress, open_bucket, seal_bucket

PATIENT = uuid.UUID(int=1)
KEY = new_key()
ADDRESS = BucketAddress(PATIENT, "physical-signs", "2026-11", 3)
POINT = Point(SYSTOLIC, 128.0, "mm[Hg]", datetime(2026, 11, 5, 7, tzinfo=UTC), PATIENT, "x")


def test_a_sealed_bucket_opens_to_its_points() -> None:
    blob = seal_bucket([POINT], ADDRESS, "pk1", KEY)
    assert points_of(open_bucket(blob, ADDRESS, "pk1", KEY), "x") == [POINT]
    assert b"8480-6" not in blob
    assert b"mm[Hg]" not in blob


@pytest.mark.parametrize(
    "elsewhere",
    [
        replace(ADDRESS, patient_id=uuid.UUID(int=2)),
        replace(ADDRESS, kind="body-measures"),
        replace(ADDRESS, month="2026-10"),
        replace(ADDRESS, revision=2),
    ],
    ids=["patient", "kind", "month", "older-revision"],
)
def test_a_bucket_moved_or_put_back_does_not_open(elsewhere: BucketAddress) -> None:
    blob = seal_bucket([POINT], ADDRESS, "pk1", KEY)
    with pytest.raises(IntegrityError):
        open_bucket(blob, elsewhere, "pk1", KEY)


def test_another_key_does_not_open_it() -> None:
    blob = seal_bucket([POINT], ADDRESS, "pk1", KEY)
    with pytest.raises(IntegrityError):
        open_bucket(blob, ADDRESS, "pk1", new_key())
    with pytest.raises(IntegrityError):
        open_bucket(blob, ADDRESS, "pk2", KEY)
