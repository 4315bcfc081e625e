"""The packed monthly bucket: what goes in comes out, compactly, and nothing else opens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from phr_share.series.bucket import (
    columns_of,
    decode,
    encode,
    encode_columns,
    merge,
    merge_columns,
    month_of,
    points_of,
)
from phr_share.series.points import DIASTOLIC, GLUCOSE_CODES, SYSTOLIC, Point

SOURCE = uuid.UUID(int=7)
OTHER = uuid.UUID(int=8)
SHANGHAI = timezone(timedelta(hours=8))


def _point(code: str, value: float, at: datetime, source: uuid.UUID = SOURCE) -> Point:
    return Point(code, value, "mm[Hg]", at, source, "physical-signs")


def test_points_come_back_equal_in_time_order_with_their_offset() -> None:
    late = _point(SYSTOLIC, 141.0, datetime(2026, 3, 2, 20, 15, tzinfo=SHANGHAI))
    early = _point(DIASTOLIC, 88.5, datetime(2026, 3, 1, 7, 0, tzinfo=UTC), OTHER)
    points = decode(encode([late, early]), "physical-signs")
    assert points == [early, late]
    assert points[1].at.utcoffset() == timedelta(hours=8)
    assert points[1].at.hour == 20


def test_an_empty_bucket_opens_empty() -> None:
    assert decode(encode([]), "lifestyle") == []


def test_a_month_of_sensor_glucose_is_packed_in_columns() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    code = sorted(GLUCOSE_CODES)[0]
    points = [
        Point(code, 100.0 + i % 50, "mg/dL", start + timedelta(minutes=5 * i), SOURCE, "k")
        for i in range(288 * 31)
    ]
    data = encode(points)
    assert len(data) < 40 * len(points)  # a JSON object per point is about 150 bytes
    table = columns_of(data)
    assert table.num_rows == len(points)
    assert table.column("code").chunk(0).dictionary.to_pylist() == [code]
    assert decode(data, "k") == points


def test_bytes_that_are_not_a_bucket_are_refused() -> None:
    with pytest.raises(ValueError, match="not a series bucket"):
        columns_of(b"PHRS not arrow")


def test_a_naive_time_or_a_value_that_is_not_finite_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        encode([_point(SYSTOLIC, 120.0, datetime(2026, 1, 1))])
    with pytest.raises(ValueError, match="finite"):
        encode([_point(SYSTOLIC, float("nan"), datetime(2026, 1, 1, tzinfo=UTC))])


def test_the_month_is_the_utc_calendar_month() -> None:
    assert month_of(datetime(2026, 3, 1, 7, 0, tzinfo=SHANGHAI)) == "2026-02"
    assert month_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-12"


def test_a_new_version_replaces_its_points_and_a_repeat_adds_nothing() -> None:
    at = datetime(2026, 5, 1, 8, tzinfo=UTC)
    kept = _point(SYSTOLIC, 130.0, at, OTHER)
    old = _point(SYSTOLIC, 150.0, at, SOURCE)
    new = _point(SYSTOLIC, 151.0, at, SOURCE)
    assert merge([kept, old], frozenset({SOURCE}), [new]) == [new, kept]
    assert merge([kept, new], frozenset(), [new, kept]) == [new, kept]


def test_merging_columns_is_merging_points() -> None:
    early = _point(SYSTOLIC, 120.0, datetime(2026, 1, 1, 8, tzinfo=UTC))
    late = _point(SYSTOLIC, 130.0, datetime(2026, 1, 2, 8, tzinfo=UTC))
    other = uuid.UUID(int=99)
    mine = Point(
        "8462-4", 80.0, "mm[Hg]", datetime(2026, 1, 3, 8, tzinfo=UTC), other, "physical-signs"
    )
    table = columns_of(encode([early, mine]))
    # Nothing new, nothing removed: unchanged, so nothing is written again.
    assert merge_columns(table, frozenset(), [early]) is None
    assert merge_columns(table, frozenset({uuid.UUID(int=5)}), []) is None
    merged = merge_columns(table, frozenset(), [late, late, early])
    assert merged is not None
    assert decode(encode_columns(merged), "physical-signs") == merge(
        [early, mine], frozenset(), [late]
    )
    replaced = merge_columns(table, frozenset({other}), [late])
    assert replaced is not None
    assert points_of(replaced, "physical-signs") == [early, late]
    emptied = merge_columns(table, frozenset({SOURCE, other}), [])
    assert emptied is not None
    assert emptied.num_rows == 0
    assert merge_columns(None, frozenset(), [late]).num_rows == 1  # type: ignore[union-attr]
