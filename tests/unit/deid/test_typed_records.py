"""A published record is typed: a number is a number, the date is there only when it
is one, every field is in the data dictionary, and a statement with nothing to count is
not published."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from phr_share.ccda import split_document
from phr_share.deid import DeidPolicy
from phr_share.deid.records import RECORD_FIELDS, FlatRecord
from phr_share.deidentify import deidentify_document
from tests.conftest import DEMO_CCD, PATIENT
from tests.unit.deid.test_kanon import record

POLICY = DeidPolicy(b"typed-records-secret-of-32-bytes", date(2026, 11, 22))


@pytest.mark.parametrize(
    ("value", "number", "text"),
    [("120", 120, None), ("131.5", 131.5, None), ("-2", -2, None), ("90+", None, "90+")],
)
def test_the_value_is_a_number_where_it_is_one(
    value: str, number: float | None, text: str | None
) -> None:
    row = dataclasses.replace(record("p", "60-64"), value=value).as_json()
    assert row["value"] == number
    assert type(row["value"]) is type(number)
    assert row["value_text"] == text


def test_the_date_is_there_only_in_a_date_shift_release() -> None:
    plain = record("p", "60-64")
    assert "date" not in plain.as_json()
    assert plain.as_json()["year"] == "2024"
    shifted = dataclasses.replace(plain, date="2024-03-09").as_json()
    assert shifted["date"] == "2024-03-09"


def test_every_published_field_is_in_the_data_dictionary() -> None:
    shifted = dataclasses.replace(record("p", "60-64"), date="2024-03-09")
    assert [name for name, _, _ in RECORD_FIELDS] == list(shifted.as_json())
    assert {f.name for f in dataclasses.fields(FlatRecord)} <= {n for n, _, _ in RECORD_FIELDS}


def test_a_record_says_something_countable() -> None:
    released = deidentify_document(split_document(DEMO_CCD.read_bytes(), PATIENT), POLICY)
    rows = [r for segment in released for r in segment.records]
    assert rows
    assert all(r.codes or r.value is not None for r in rows)
    measured = [r.as_json() for r in rows if r.loinc == "8480-6"]
    assert measured
    assert all(isinstance(r["value"], int | float) for r in measured)
