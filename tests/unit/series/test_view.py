"""Chart data: every point under max_bins, round bins over it, lines per code and unit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from phr_share.series.points import MOOD, Point
from phr_share.series.view import bin_interval, chart_view
from tests.unit.series.make import NY, glucose, local, point, weight

START = local(2026, 1, 10)
DAY = 86400


@pytest.mark.parametrize(
    ("span", "max_bins", "seconds"),
    [
        (timedelta(0), 400, 60),
        (timedelta(minutes=100), 400, 60),
        (timedelta(minutes=400), 400, 60),
        (timedelta(minutes=401), 400, 300),
        (timedelta(days=1), 400, 300),
        (timedelta(days=14), 400, 3600),
        (timedelta(days=90), 400, 6 * 3600),
        (timedelta(days=365), 400, DAY),
        (timedelta(days=3652), 400, 28 * DAY),
        (timedelta(days=146_100), 400, 2 * 364 * DAY),
        (timedelta(days=14), 4, 7 * DAY),
    ],
)
def test_the_bin_interval_is_the_smallest_round_one_that_fits(
    span: timedelta, max_bins: int, seconds: int
) -> None:
    assert bin_interval(span, max_bins) == seconds


def test_few_points_are_charted_at_full_resolution() -> None:
    end = START + timedelta(days=1)
    points = [
        glucose(START - timedelta(microseconds=1), 99),
        glucose(START, 100),
        glucose(START + timedelta(hours=8), 180),
        glucose(end, 120),
        glucose(end + timedelta(microseconds=1), 99),
    ]
    view = chart_view(points, start=START, end=end, zone=NY).to_json()
    assert view == {
        "start": "2026-01-10T00:00:00-05:00",
        "end": "2026-01-11T00:00:00-05:00",
        "lines": [
            {
                "code": "2339-0",
                "unit": "mg/dL",
                "resolution": "full",
                "points": [
                    {"t": "2026-01-10T00:00:00-05:00", "v": 100},
                    {"t": "2026-01-10T08:00:00-05:00", "v": 180},
                    {"t": "2026-01-11T00:00:00-05:00", "v": 120},
                ],
            }
        ],
    }


@pytest.mark.parametrize(("count", "resolution"), [(5, "full"), (6, 3600)])
def test_more_points_than_max_bins_are_binned(count: int, resolution: str | int) -> None:
    points = [glucose(START + timedelta(minutes=30 * i), 100) for i in range(count)]
    view = chart_view(points, start=START, end=START + timedelta(hours=4), zone=NY, max_bins=5)
    assert view.lines[0].resolution == resolution


def test_bins_hold_their_start_and_the_last_holds_the_end() -> None:
    values = [
        (timedelta(0), 1.0),
        (timedelta(minutes=59, seconds=59, microseconds=999_999), 3.0),
        (timedelta(hours=1), 10.0),
        (timedelta(hours=2, minutes=30), 4.0),
        (timedelta(hours=2, minutes=45), 6.0),
        (timedelta(hours=4), 7.0),
    ]
    points = [glucose(START + offset, value) for offset, value in values]
    view = chart_view(points, start=START, end=START + timedelta(hours=4), zone=NY, max_bins=4)
    (line,) = view.to_json()["lines"]
    assert line["resolution"] == 3600
    assert line["points"] == [
        {"t": "2026-01-10T00:00:00-05:00", "min": 1, "max": 3, "mean": 2, "n": 2},
        {"t": "2026-01-10T01:00:00-05:00", "min": 10, "max": 10, "mean": 10, "n": 1},
        {"t": "2026-01-10T02:00:00-05:00", "min": 4, "max": 6, "mean": 5, "n": 2},
        {"t": "2026-01-10T03:00:00-05:00", "min": 7, "max": 7, "mean": 7, "n": 1},
    ]


def test_bins_are_equal_intervals_across_a_daylight_saving_change() -> None:
    start, end = local(2026, 3, 1), local(2026, 3, 31)
    points = [glucose(local(2026, 3, d, h), 100) for d in range(1, 31) for h in (6, 18)]
    view = chart_view(points, start=start, end=end, zone=NY, max_bins=30)
    line = view.lines[0]
    assert line.resolution == DAY
    assert [b.count for b in line.bins] == [2] * 30
    stamps = [p["t"] for p in view.to_json()["lines"][0]["points"]]
    # From 03-08 on, 24-hour bins start at 01:00 of the summer clock.
    assert stamps[7:9] == ["2026-03-08T00:00:00-05:00", "2026-03-09T01:00:00-04:00"]


def test_mmol_l_glucose_is_charted_in_mg_dl_as_2339_0() -> None:
    points = [
        glucose(START, 100),
        glucose(START + timedelta(hours=1), 5.0, "mmol/L"),
        point("41653-7", 120, "mg/dL", START + timedelta(hours=2)),
    ]
    view = chart_view(points, start=START, end=START + timedelta(days=1), zone=NY)
    assert [(line.code, line.unit) for line in view.lines] == [
        ("2339-0", "mg/dL"),
        ("41653-7", "mg/dL"),
    ]
    assert [s.value for s in view.lines[0].samples] == pytest.approx([100, 90.08])


def test_pounds_join_the_kilograms_line_and_mood_is_charted() -> None:
    points = [
        weight(START, 80),
        point(MOOD, 4, "{score}", START + timedelta(hours=1)),
        weight(START + timedelta(hours=2), 176, "[lb_av]"),
    ]
    view = chart_view(points, start=START, end=START + timedelta(days=1), zone=NY)
    lines = {(line.code, line.unit): [s.value for s in line.samples] for line in view.lines}
    assert lines.keys() == {("29463-7", "kg"), (MOOD, "{score}")}
    assert lines["29463-7", "kg"] == [80, pytest.approx(176 * 0.45359237)]
    assert lines[MOOD, "{score}"] == [4]


def test_a_span_without_points_has_no_lines() -> None:
    view = chart_view([], start=START, end=START + timedelta(days=1), zone=NY)
    assert view.to_json()["lines"] == []


def test_points_out_of_time_order_are_refused() -> None:
    points = [glucose(START + timedelta(hours=1), 100), glucose(START, 100)]
    with pytest.raises(ValueError, match="sorted"):
        chart_view(points, start=START, end=START + timedelta(days=1), zone=NY)


@pytest.mark.parametrize(
    ("start", "end", "max_bins"),
    [
        (datetime(2026, 1, 10), START, 400),
        (START, START - timedelta(seconds=1), 400),
        (START, START + timedelta(days=1), 0),
    ],
)
def test_bad_bounds_are_refused(start: datetime, end: datetime, max_bins: int) -> None:
    points: list[Point] = []
    with pytest.raises(ValueError, match=r"start|max_bins"):
        chart_view(points, start=start, end=end, zone=NY, max_bins=max_bins)
