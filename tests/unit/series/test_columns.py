"""The column paths draw what the point paths draw: chart bins and summary rows."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from phr_share.series import summarise
from phr_share.series.bucket import columns_of, encode, points_of
from phr_share.series.columns import chart_columns, concat, summary_rows
from phr_share.series.points import HEIGHT, SYSTOLIC, WEIGHT, Point
from phr_share.series.view import ChartView, chart_view

START = datetime(2026, 1, 1, tzinfo=UTC)
SOURCE = uuid.UUID(int=7)
ZONE = ZoneInfo("Europe/London")


def point(code: str, value: float, at: datetime, unit: str = "mm[Hg]") -> Point:
    return Point(code, value, unit, at, SOURCE, "physical-signs")


def table_of(points: list[Point]):  # type: ignore[no-untyped-def]
    """Points as a series read gives them: one bucket a month, concatenated."""
    months: dict[str, list[Point]] = {}
    for p in points:
        months.setdefault(p.at.strftime("%Y-%m"), []).append(p)
    return concat(columns_of(encode(ps)) for ps in months.values())


def same(columns: ChartView, points: ChartView) -> None:
    assert (columns.start, columns.end, columns.zone) == (points.start, points.end, points.zone)
    assert [(line.code, line.unit, line.resolution) for line in columns.lines] == [
        (line.code, line.unit, line.resolution) for line in points.lines
    ]
    for mine, theirs in zip(columns.lines, points.lines, strict=True):
        assert mine.samples == theirs.samples
        assert [(b.start, b.low, b.high, b.count) for b in mine.bins] == [
            (b.start, b.low, b.high, b.count) for b in theirs.bins
        ]
        assert [b.mean for b in mine.bins] == pytest.approx([b.mean for b in theirs.bins])


def sensor_year(seed: int) -> list[Point]:
    rng = random.Random(seed)
    return [
        point("99504-3", round(rng.uniform(50, 300), 1), START + timedelta(minutes=5 * i), "mg/dL")
        for i in range(0, 365 * 288, 7)
    ]


@pytest.mark.parametrize("max_bins", [1, 7, 400])
def test_bins_from_columns_equal_bins_from_points(max_bins: int) -> None:
    points = sensor_year(1) + [
        point(SYSTOLIC, 120 + i % 30, START + timedelta(hours=12 * i)) for i in range(700)
    ]
    points += [point("15074-8", 5.5 + i % 4, START + timedelta(days=i), "mmol/L") for i in range(9)]
    points.sort(key=lambda p: p.at)
    end = START + timedelta(days=365)
    for start in (START, START + timedelta(days=200, seconds=0.5)):
        same(
            chart_columns(table_of(points), start=start, end=end, zone=ZONE, max_bins=max_bins),
            chart_view(points, start=start, end=end, zone=ZONE, max_bins=max_bins),
        )


def test_a_short_span_is_drawn_at_full_resolution_and_keeps_its_edges() -> None:
    points = [point(SYSTOLIC, 100 + i, START + timedelta(hours=i)) for i in range(10)]
    start, end = points[2].at, points[7].at  # both edges inside the span
    view = chart_columns(table_of(points), start=start, end=end, zone=ZONE)
    same(view, chart_view(points, start=start, end=end, zone=ZONE))
    assert [s.value for s in view.lines[0].samples] == [102, 103, 104, 105, 106, 107]
    assert view.lines[0].resolution == "full"


def test_glucose_in_mmol_joins_the_mg_line() -> None:
    points = [
        point("2339-0", 90, START, "mg/dL"),
        point("15074-8", 5.0, START + timedelta(hours=1), "mmol/L"),
    ]
    view = chart_columns(table_of(points), start=START, end=START + timedelta(days=1), zone=ZONE)
    assert [(line.code, line.unit) for line in view.lines] == [("2339-0", "mg/dL")]
    assert [s.value for s in view.lines[0].samples] == [90, pytest.approx(90.08)]


def test_a_weight_in_pounds_joins_the_kg_line_as_the_points_view_draws_it() -> None:
    points = [
        point("29463-7", 84.0, START, "kg"),
        point("29463-7", 185.0, START + timedelta(days=1), "[lb_av]"),
    ]
    end = START + timedelta(days=2)
    view = chart_columns(table_of(points), start=START, end=end, zone=ZONE)
    assert [(line.code, line.unit) for line in view.lines] == [("29463-7", "kg")]
    assert [s.value for s in view.lines[0].samples] == [84.0, pytest.approx(83.915, abs=1e-3)]
    same(view, chart_view(points, start=START, end=end, zone=ZONE))


def test_no_rows_draw_no_line_and_bad_bounds_are_refused() -> None:
    assert chart_columns(None, start=START, end=START, zone=ZONE).lines == ()
    with pytest.raises(ValueError, match="start"):
        chart_columns(None, start=START, end=START - timedelta(seconds=1), zone=ZONE)
    with pytest.raises(ValueError, match="max_bins"):
        chart_columns(None, start=START, end=START, zone=ZONE, max_bins=0)


def test_the_summary_of_the_rows_kept_is_the_summary_of_every_point() -> None:
    now = START + timedelta(days=300)
    points = sensor_year(2) + [
        point(WEIGHT, 80 - i / 50, START + timedelta(days=i), "kg") for i in range(300)
    ]
    points += [point(HEIGHT, 175, START + timedelta(days=3), "cm")]
    points += [point(SYSTOLIC, 125 + i % 20, START + timedelta(hours=12 * i)) for i in range(600)]
    points.sort(key=lambda p: p.at)
    for days in (14, 30, 90):
        window_start = now - timedelta(days=days)
        kept = summary_rows(table_of(points), window_start)
        assert kept.num_rows < len(points) / 2
        assert summarise(points_of(kept, ""), now=now, zone=ZONE, days=days) == summarise(
            points, now=now, zone=ZONE, days=days
        )
