"""Pseudonyms and date offsets: stable for a patient, different between patients."""

from __future__ import annotations

import uuid

import pytest

from phr_share.deid.dates import Timestamp, age_in_years, parse_timestamp
from phr_share.deid.pseudonym import date_offset_days, pseudonym, replacement_id
from phr_share.errors import ConfigurationError

SECRET = bytes(range(32))
PATIENTS = [uuid.UUID(int=n) for n in range(1, 201)]


def test_pseudonyms_are_stable_distinct_and_keyed() -> None:
    first = [pseudonym(SECRET, p) for p in PATIENTS]
    assert first == [pseudonym(SECRET, p) for p in PATIENTS]
    assert len(set(first)) == len(PATIENTS)
    assert all(len(p) == 32 and int(p, 16) >= 0 for p in first)
    other_key = bytes(reversed(SECRET))
    assert all(pseudonym(other_key, p) != q for p, q in zip(PATIENTS, first, strict=True))
    assert all(str(p).replace("-", "")[:8] not in q for p, q in zip(PATIENTS, first, strict=True))


def test_known_answers() -> None:
    # Pinned: a changed derivation would silently break every longitudinal study.
    assert pseudonym(SECRET, uuid.UUID(int=1)) == "8d41eb58aef01884437311074ea625dd"
    assert date_offset_days(SECRET, uuid.UUID(int=1)) == 260


def test_date_offsets_are_stable_bounded_nonzero_and_spread() -> None:
    offsets = [date_offset_days(SECRET, p) for p in PATIENTS]
    assert offsets == [date_offset_days(SECRET, p) for p in PATIENTS]
    assert all(-365 <= o <= 365 and o != 0 for o in offsets)
    assert len(set(offsets)) > 150  # 200 patients rarely share a day


def test_replaced_ids_depend_on_patient_and_value() -> None:
    a = replacement_id(SECRET, PATIENTS[0], "1.2.3", "X")
    assert a == replacement_id(SECRET, PATIENTS[0], "1.2.3", "X")
    assert a != replacement_id(SECRET, PATIENTS[1], "1.2.3", "X")
    assert a != replacement_id(SECRET, PATIENTS[0], "1.2.3", "Y")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        pseudonym(b"short", PATIENTS[0])


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2019", Timestamp(2019)),
        ("201906", Timestamp(2019, 6)),
        ("20190601", Timestamp(2019, 6, 1)),
        ("20190601101500.123-0500", Timestamp(2019, 6, 1, "101500.123", "-0500")),
        ("20190230", None),
        ("2019-06-01", None),
    ],
)
def test_timestamps(value: str, parsed: Timestamp | None) -> None:
    assert parse_timestamp(value) == parsed


def test_shifting_keeps_precision() -> None:
    assert Timestamp(2019, 12, 31, "2359", "+0100").shifted(1) == "202001012359+0100"
    assert Timestamp(2019, 12).shifted(20) == "202001"
    assert Timestamp(2019).shifted(-400) == "2019"
    assert Timestamp(1, 1, 1).shifted(-5) == "0001"


@pytest.mark.parametrize(
    ("birth", "age"),
    [("19361122", 90), ("19361123", 89), ("1936", 90), ("193612", 89), ("19210101", 105)],
)
def test_ages_on_a_day(birth: str, age: int) -> None:
    from datetime import date

    stamp = parse_timestamp(birth)
    assert stamp is not None
    assert age_in_years(stamp, date(2026, 11, 22)) == age
