"""The composed summary: its window, one walk over the points, its JSON and display."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from phr_share.series.points import SYSTOLIC, Point
from phr_share.series.summary import (
    SUMMARY_JSON_SCHEMA,
    WINDOWS,
    display,
    make_window,
    summarise,
    summary_json,
)
from tests.unit.series.make import NY, OTHER, bp, glucose, height, local, point, weight

NOW = local(2026, 3, 20, 15)
VALIDATOR = jsonschema.Draft202012Validator(SUMMARY_JSON_SCHEMA)


def sensor(start: datetime, count: int, values: tuple[float, ...] = (90, 140, 200)) -> list[Point]:
    """Sensor glucose every 5 minutes, cycling through ``values``."""
    return [
        glucose(start + timedelta(minutes=5 * i), values[i % len(values)]) for i in range(count)
    ]


def rich() -> list[Point]:
    """Two weeks of everything, across the 2026-03-08 daylight-saving change."""
    return [
        *bp(local(2026, 3, 10, 7, 30), 135, 85),
        *bp(local(2026, 3, 12, 19), 125, 75),
        point(SYSTOLIC, 140, "mm[Hg]", local(2026, 3, 15, 13)),
        glucose(local(2026, 3, 10, 8), 100, source=OTHER),
        glucose(local(2026, 3, 11, 8), 6.0, "mmol/L", source=OTHER),
        glucose(local(2026, 3, 12, 8), 250, source=OTHER),
        *sensor(local(2026, 3, 16), 576),
        weight(local(2026, 3, 19, 7), 80),
        weight(local(2026, 2, 17, 7), 78),
        height(local(2025, 1, 5), 170),
    ]


def test_the_windows_offered() -> None:
    assert WINDOWS == (14, 30, 90)


def test_the_window_starts_at_local_midnight_of_the_first_day() -> None:
    window = make_window(NOW, NY, 14)
    assert window.start == datetime(2026, 3, 7, tzinfo=NY)
    assert window.start.utcoffset() == timedelta(hours=-5)  # before the change...
    assert window.end == NOW
    assert window.end.utcoffset() == timedelta(hours=-4)  # ...and after it
    assert (window.days, window.zone) == (14, "America/New_York")
    assert make_window(NOW, NY, 1).start == datetime(2026, 3, 20, tzinfo=NY)


def test_a_midnight_skipped_by_a_daylight_saving_change_starts_at_the_first_instant() -> None:
    havana = ZoneInfo("America/Havana")  # 2026-03-08: 00:00 CST becomes 01:00 CDT
    window = make_window(datetime(2026, 3, 8, 12, tzinfo=havana), havana, 1)
    assert window.start == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert window.start.hour == 1


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_days_out_of_range_are_refused(days: int) -> None:
    with pytest.raises(ValueError, match="days"):
        summarise([], now=NOW, zone=NY, days=days)


@pytest.mark.parametrize("days", [1, 3650])
def test_days_at_the_limits_are_accepted(days: int) -> None:
    assert summarise([], now=NOW, zone=NY, days=days).window.days == days


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        summarise([], now=datetime(2026, 3, 20, 15), zone=NY)


@pytest.mark.parametrize(
    ("at", "counted"),
    [
        (local(2026, 3, 7), True),
        (local(2026, 3, 7) - timedelta(microseconds=1), False),
        (NOW, True),
        (NOW + timedelta(microseconds=1), False),
    ],
)
def test_window_edges(at: datetime, counted: bool) -> None:
    summary = summarise(bp(at, 120, 70), now=NOW, zone=NY, days=14)
    assert summary.bp.readings == counted


def test_an_empty_series_has_counts_and_no_figures() -> None:
    summary = summarise([], now=NOW, zone=NY)
    assert (summary.bp.readings, summary.glucose.readings, summary.weight.readings) == (0, 0, 0)
    assert summary.cgm is None
    assert summary.bp.mean_systolic is None
    assert summary.glucose.mean is None
    assert summary.weight.latest is None


def test_each_figure_of_a_rich_series() -> None:
    summary = summarise(iter(rich()), now=NOW, zone=NY, days=14)  # one walk: an iterator will do
    assert (summary.bp.readings, summary.bp.pairs, summary.bp.days) == (3, 2, 3)
    assert summary.bp.mean_systolic == pytest.approx(400 / 3)
    assert summary.bp.mean_diastolic == pytest.approx(80)
    assert summary.bp.morning.readings == summary.bp.evening.readings == 1
    assert summary.bp.share_at_or_above_target == 0.5
    assert summary.glucose.readings == 3  # the fingersticks, not the sensor
    assert summary.glucose.mean == pytest.approx((100 + 6.0 * 18.016 + 250) / 3)
    assert [b.count for b in summary.glucose.bands] == [0, 0, 2, 1, 0]  # 250 is in 181-250
    assert summary.cgm is not None
    assert summary.cgm.readings == 576
    assert summary.cgm.captured_share == pytest.approx(576 * 5 / (13 * 24 * 60 - 60 + 15 * 60))
    assert summary.cgm.sufficient is False
    assert summary.weight.latest is not None
    assert summary.weight.latest.value == 80
    assert summary.weight.change_30d_kg == pytest.approx(2)
    assert summary.weight.bmi == pytest.approx(80 / 1.7**2)


def test_a_sensor_run_that_began_before_the_window_is_still_sensor_data() -> None:
    start = local(2026, 3, 7)
    summary = summarise(sensor(start - timedelta(minutes=30), 9), now=NOW, zone=NY, days=14)
    assert summary.cgm is not None
    assert summary.cgm.readings == 3
    assert summary.glucose.readings == 0


def test_the_blood_pressure_target_is_a_parameter() -> None:
    summary = summarise(bp(local(2026, 3, 19), 135, 85), now=NOW, zone=NY, bp_target=(140, 90))
    assert summary.bp.share_at_or_above_target == 0
    assert summary_json(summary)["bp"]["target"] == {"systolic": 140, "diastolic": 90}


def test_the_json_of_a_rich_series_matches_its_schema() -> None:
    document = summary_json(summarise(rich(), now=NOW, zone=NY))
    VALIDATOR.validate(document)
    assert document["window"] == {
        "start": "2026-03-07T00:00:00-05:00",
        "end": "2026-03-20T15:00:00-04:00",
        "days": 14,
        "time_zone": "America/New_York",
    }
    assert document["bp"]["mean_systolic"] == 133.333
    assert document["bp"]["highest"] == {
        "systolic": 135,
        "diastolic": 85,
        "at": "2026-03-10T07:30:00-04:00",
    }
    assert document["glucose"]["gmi"] is None
    assert document["glucose"]["gmi_needs_days"] == 10
    assert document["glucose"]["bands"][">250"] == {"count": 0, "share": 0.0}
    agp = document["cgm"]["agp"]
    assert [slot["slot"] for slot in (agp[0], agp[1], agp[95])] == ["00:00", "00:15", "23:45"]
    assert agp[0]["p50"] == 140
    assert document["cgm"]["bands"]["70-180"]["minutes"] == pytest.approx(960)
    assert document["weight"]["latest"] == {"kg": 80, "at": "2026-03-19T07:00:00-04:00"}


def test_the_json_of_an_empty_series_matches_its_schema() -> None:
    document = summary_json(summarise([], now=NOW, zone=NY))
    VALIDATOR.validate(document)
    assert document["cgm"] is None
    assert document["bp"]["highest"] is None
    assert document["weight"]["latest"] is None
    assert document["display"] == {}


def test_the_schema_refuses_a_missing_or_an_unknown_field() -> None:
    document = summary_json(summarise(rich(), now=NOW, zone=NY))
    missing: dict[str, Any] = copy.deepcopy(document)
    del missing["cgm"]["agp"][3]["p95"]
    extra: dict[str, Any] = copy.deepcopy(document)
    extra["glucose"]["bands"]["70-180"]["minutes"] = 5
    for wrong in (missing, extra):
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(wrong)


def test_display_rounds_for_people() -> None:
    points = [
        *bp(local(2026, 3, 18, 13), 132, 80),
        *bp(local(2026, 3, 19, 13), 133, 79),  # means 132.5 and 79.5: halves go up
        *bp(local(2026, 3, 19, 14), 120, 70),
        glucose(local(2026, 3, 19, 8), 100),
        glucose(local(2026, 3, 19, 9), 150),
        weight(local(2026, 3, 19, 7), 80.04),
        weight(local(2026, 2, 17, 7), 81.55),
    ]
    shown = display(summarise(points, now=NOW, zone=NY))
    assert shown["bp.mean_systolic"] == "128 mmHg"
    assert shown["bp.share_at_or_above_target"] == "67%"
    assert shown["bp.highest"] == "133/79 mmHg"
    assert shown["glucose.mean"] == "125 mg/dL"
    assert shown["glucose.sd"] == "25 mg/dL"
    assert shown["glucose.cv"] == "20%"
    assert shown["glucose.bands.70-180"] == "100%"
    assert shown["weight.latest"] == "80.0 kg"
    assert shown["weight.change_30d"] == "-1.5 kg"
    assert "glucose.gmi" not in shown
    assert "weight.bmi" not in shown


@pytest.mark.parametrize(
    ("systolic", "shown"),
    [((132, 133), "133 mmHg"), ((132, 132), "132 mmHg"), ((131, 132), "132 mmHg")],
)
def test_display_rounds_halves_up(systolic: tuple[int, int], shown: str) -> None:
    points = [
        *bp(local(2026, 3, 18, 13), systolic[0], 80),
        *bp(local(2026, 3, 19, 13), systolic[1], 80),
    ]
    assert display(summarise(points, now=NOW, zone=NY))["bp.mean_systolic"] == shown


@pytest.mark.parametrize(
    ("before", "shown"), [(78, "+2.0 kg"), (80.02, "0.0 kg"), (81.5, "-1.5 kg")]
)
def test_display_signs_weight_changes(before: float, shown: str) -> None:
    points = [weight(local(2026, 3, 19, 7), 80), weight(local(2026, 2, 17, 7), before)]
    assert display(summarise(points, now=NOW, zone=NY))["weight.change_30d"] == shown


def test_display_of_cgm_and_gmi() -> None:
    points = sensor(local(2026, 3, 16), 576)
    points += [glucose(local(2026, 3, 1 + d, 8), 150, source=OTHER) for d in range(7, 19)]
    shown = display(summarise(points, now=NOW, zone=NY))
    assert shown["glucose.gmi"] == "6.9%"  # 3.31 + 0.02392 x 150 = 6.898
    assert shown["cgm.mean"] == "143 mg/dL"  # (90 + 140 + 200) / 3 = 143.33
    assert shown["cgm.bands.70-180"] == "67%"
    assert shown["cgm.bands.70-180.per_day"] == "16 h 00 min"
    assert shown["cgm.captured_share"] == "15%"  # 2880 of 19,560 minutes


def in_new_york(points: list[Point]) -> list[Point]:
    return [dataclasses.replace(p, at=p.at.astimezone(NY)) for p in points]


def test_points_in_a_local_zone_summarise_as_points_in_utc() -> None:
    def document(points: list[Point]) -> dict[str, Any]:
        return summary_json(summarise(points, now=NOW, zone=NY))

    assert document(in_new_york(rich())) == document(rich())


def test_weight_change_spans_a_daylight_saving_change_in_elapsed_time() -> None:
    # 45 days (elapsed) before 2026-03-19 07:00 EDT is 2026-02-02 06:00 EST: near enough,
    # though the wall clocks are 45 days and one hour apart.
    latest = local(2026, 3, 19, 7)
    points = in_new_york([weight(latest, 80), weight(latest - timedelta(days=45), 79)])
    assert summarise(points, now=NOW, zone=NY).weight.change_30d_kg == pytest.approx(1)
