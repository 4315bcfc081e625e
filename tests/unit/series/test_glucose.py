"""Glucose: bands in both units, spread and GMI, sensor runs, captured share and profile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from phr_share.series.glucose import (
    BANDS,
    SLOTS,
    CgmSummary,
    GlucoseReading,
    band,
    glucose_reading,
    percentile,
    split_runs,
    summarise_cgm,
    summarise_glucose,
)
from phr_share.series.points import Point
from tests.unit.series.make import NY, OTHER, SOURCE, glucose, local, point


def reading(at: datetime, mg_dl: float, source: uuid.UUID = SOURCE) -> GlucoseReading:
    return GlucoseReading(at, mg_dl, source)


def sensor(start: datetime, values: list[float], minutes: int = 5) -> list[GlucoseReading]:
    """Sensor readings every ``minutes`` from ``start``."""
    return [reading(start + timedelta(minutes=minutes * i), v) for i, v in enumerate(values)]


def converted(value: float, unit: str) -> float:
    found = glucose_reading(glucose(local(2026, 1, 1), value, unit))
    assert found is not None
    return found.mg_dl


@pytest.mark.parametrize(
    ("mg_dl", "expected"),
    [
        (40, "<54"),
        (53, "<54"),
        (53.49, "<54"),
        (53.5, "54-69"),
        (54, "54-69"),
        (69, "54-69"),
        (69.49, "54-69"),
        (69.5, "70-180"),
        (70, "70-180"),
        (180, "70-180"),
        (180.49, "70-180"),
        (180.5, "181-250"),
        (181, "181-250"),
        (250, "181-250"),
        (250.49, "181-250"),
        (250.5, ">250"),
        (251, ">250"),
    ],
)
def test_mg_dl_band_edges(mg_dl: float, expected: str) -> None:
    assert band(mg_dl) == expected


@pytest.mark.parametrize(
    ("mmol_l", "expected"),
    [
        (2.9, "<54"),
        (3.0, "54-69"),
        (3.8, "54-69"),
        (3.9, "70-180"),
        (10.0, "70-180"),
        (10.1, "181-250"),
        (13.9, "181-250"),
        (14.0, ">250"),
    ],
)
def test_mmol_l_band_edges_land_with_their_mg_dl_equivalents(mmol_l: float, expected: str) -> None:
    assert band(converted(mmol_l, "mmol/L")) == expected


def test_every_one_decimal_mmol_l_value_bands_as_the_consensus_table_says() -> None:
    for tenths in range(10, 334):
        expected = (
            "<54"
            if tenths < 30
            else "54-69"
            if tenths <= 38
            else "70-180"
            if tenths <= 100
            else "181-250"
            if tenths <= 139
            else ">250"
        )
        assert band(converted(tenths / 10, "mmol/L")) == expected, tenths


def test_conversion_uses_the_consensus_factor() -> None:
    assert converted(5.0, "mmol/L") == pytest.approx(90.08)
    assert converted(90, "mg/dL") == 90


def test_points_in_other_units_or_codes_are_not_glucose() -> None:
    at = local(2026, 1, 1)
    assert glucose_reading(point("2339-0", 1.0, "g/L", at)) is None
    assert glucose_reading(point("8867-4", 70, "mg/dL", at)) is None


def test_percentile_interpolates_linearly() -> None:
    values = [float(v) for v in range(1, 11)]
    assert [percentile(values, p) for p in (0, 5, 25, 50, 75, 95, 100)] == pytest.approx(
        [1.0, 1.45, 3.25, 5.5, 7.75, 9.55, 10.0]
    )
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_no_self_measured_readings_give_no_figures() -> None:
    summary = summarise_glucose([], zone=NY)
    assert (summary.readings, summary.days) == (0, 0)
    assert (summary.mean, summary.sd, summary.cv, summary.gmi) == (None, None, None, None)
    assert summary.gmi_needs_days == 10
    assert [(b.band, b.count, b.share) for b in summary.bands] == [(b, 0, None) for b in BANDS]


def test_one_reading() -> None:
    summary = summarise_glucose([reading(local(2026, 1, 1, 8), 100)], zone=NY)
    assert (summary.readings, summary.days, summary.mean, summary.sd) == (1, 1, 100, 0)
    assert summary.cv == 0
    assert summary.gmi is None
    assert [b.count for b in summary.bands] == [0, 0, 1, 0, 0]
    assert [b.share for b in summary.bands] == [0, 0, 1, 0, 0]


def test_mean_population_sd_and_cv() -> None:
    readings = [reading(local(2026, 1, 1, h), v) for h, v in ((8, 100), (12, 150), (18, 200))]
    summary = summarise_glucose(readings, zone=NY)
    assert summary.mean == pytest.approx(150)
    assert summary.sd == pytest.approx(40.824829046)  # sqrt(5000 / 3), not sqrt(5000 / 2)
    assert summary.cv == pytest.approx(0.272165527)
    assert [b.count for b in summary.bands] == [0, 0, 2, 1, 0]
    assert summary.bands[2].share == pytest.approx(2 / 3)


def test_mixed_units_are_averaged_in_mg_dl() -> None:
    points = [glucose(local(2026, 1, 1, 8), 5.0, "mmol/L"), glucose(local(2026, 1, 1, 9), 110)]
    readings = [r for p in points if (r := glucose_reading(p)) is not None]
    summary = summarise_glucose(readings, zone=NY)
    assert summary.mean == pytest.approx((90.08 + 110) / 2)


def test_readings_on_every_edge_in_both_units_are_counted_in_their_bands() -> None:
    mg = [53, 54, 69, 70, 180, 181, 250, 251]
    mmol = [2.9, 3.0, 3.8, 3.9, 10.0, 10.1, 13.9, 14.0]
    points: list[Point] = [glucose(local(2026, 1, 1, 0, i), v) for i, v in enumerate(mg)]
    points += [glucose(local(2026, 1, 1, 1, i), v, "mmol/L") for i, v in enumerate(mmol)]
    readings = [r for p in points if (r := glucose_reading(p)) is not None]
    assert [b.count for b in summarise_glucose(readings, zone=NY).bands] == [2, 4, 4, 4, 2]


@pytest.mark.parametrize(("days", "gmi"), [(9, None), (10, 3.31 + 0.02392 * 150)])
def test_gmi_needs_readings_on_ten_local_days(days: int, gmi: float | None) -> None:
    # Two readings a day, the second at 23:30 New York time: the next day in UTC.
    readings = [reading(local(2026, 1, 1 + d, 8), 140) for d in range(days)]
    readings += [reading(local(2026, 1, 1 + d, 23, 30), 160) for d in range(days)]
    summary = summarise_glucose(readings, zone=NY)
    assert summary.days == days
    assert summary.gmi == (None if gmi is None else pytest.approx(gmi))
    assert summary.gmi_needs_days == (10 if gmi is None else None)


def test_eight_readings_at_five_minutes_are_a_sensor_run() -> None:
    single, runs = split_runs(sensor(local(2026, 1, 1, 8), [100.0] * 8))
    assert single == []
    assert len(runs) == 1
    assert len(runs[0].readings) == 8
    assert runs[0].interval == timedelta(minutes=5)


def test_seven_readings_are_not_a_run() -> None:
    single, runs = split_runs(sensor(local(2026, 1, 1, 8), [100.0] * 7))
    assert (len(single), runs) == (7, [])


def test_gaps_over_fifteen_minutes_end_a_run() -> None:
    at = local(2026, 1, 1, 8)
    readings = sensor(at, [100.0] * 8, minutes=15)  # 15 minutes apart: still a run
    readings += sensor(at + timedelta(minutes=7 * 15 + 16), [120.0] * 4)
    readings += sensor(at + timedelta(minutes=7 * 15 + 16 + 15 + 21), [140.0] * 8)
    single, runs = split_runs(readings)
    assert [len(run.readings) for run in runs] == [8, 8]
    assert [r.mg_dl for r in single] == [120.0] * 4
    assert runs[0].interval == timedelta(minutes=15)


def test_sparse_fingersticks_mixed_with_a_sensor_stay_self_measured() -> None:
    start = local(2026, 1, 1, 6)
    readings = sensor(start, [150.0] * 36)  # three hours of sensor data
    # Fingersticks four times a day, one of them during sensor wear (another source).
    readings += [reading(start + timedelta(hours=h), 99.0, OTHER) for h in (1, 6, 12, 16, 30)]
    single, runs = split_runs(sorted(readings, key=lambda r: r.at))
    assert [r.mg_dl for r in single] == [99.0] * 5
    assert [len(run.readings) for run in runs] == [36]


def test_the_run_interval_is_the_median_gap() -> None:
    at = local(2026, 1, 1, 8)
    gaps = [5, 5, 5, 5, 15, 15, 15, 15]
    readings = [reading(at + timedelta(minutes=sum(gaps[:i])), 100) for i in range(len(gaps) + 1)]
    (run,) = split_runs(readings)[1]
    assert run.interval == timedelta(minutes=10)


def cgm(
    readings: list[GlucoseReading], start: datetime, end: datetime, days: int = 14
) -> CgmSummary | None:
    return summarise_cgm(split_runs(readings)[1], start=start, end=end, days=days, zone=NY)


def test_no_sensor_data_gives_no_cgm_summary() -> None:
    start = local(2026, 1, 1)
    assert cgm([reading(start, 100)], start, start + timedelta(days=14)) is None


@pytest.mark.parametrize(
    ("readings", "days", "share", "sufficient"),
    [
        (2880, 14, 2880 * 5 / 20160, True),  # ten days of a 14-day window: 71.4 %
        (2736, 14, 2736 * 5 / 20160, False),  # nine and a half days: 67.9 %
        (2880, 13, 2880 * 5 / 20160, False),  # enough share, too short a window
    ],
)
def test_captured_share_and_sufficiency(
    readings: int, days: int, share: float, sufficient: bool
) -> None:
    start = local(2026, 1, 1)
    summary = cgm(sensor(start, [120.0] * readings), start, start + timedelta(days=14), days)
    assert summary is not None
    assert summary.readings == readings
    assert summary.captured_share == pytest.approx(share)
    assert summary.sufficient is sufficient


def test_captured_share_counts_only_readings_in_the_window() -> None:
    start = local(2026, 1, 1)
    # 24 readings from 01:00 before the window's start: the 12 from 00:00 on are inside.
    readings = sensor(start - timedelta(hours=1), [120.0] * 24)
    summary = cgm(readings, start, start + timedelta(hours=2), days=1)
    assert summary is not None
    assert summary.readings == 12
    assert summary.captured_share == pytest.approx(60 / 120)


def test_cgm_figures_and_bands_in_minutes_per_day() -> None:
    start = local(2026, 1, 1)
    summary = cgm(
        sensor(start, [50.0, 60.0, 100.0, 100.0, 200.0, 200.0, 300.0, 300.0]),
        start,
        start + timedelta(days=1),
        days=1,
    )
    assert summary is not None
    assert summary.mean == pytest.approx(1310 / 8)
    assert summary.gmi == pytest.approx(3.31 + 0.02392 * 1310 / 8)
    assert [b.count for b in summary.bands] == [1, 1, 2, 2, 2]
    assert [b.minutes_per_day for b in summary.bands] == pytest.approx([180, 180, 360, 360, 360])


def test_the_profile_gives_percentiles_per_fifteen_minutes_of_local_time() -> None:
    start = local(2026, 1, 10)
    values = [100.0, 110.0, 120.0, 130.0, 150.0, 170.0, 200.0, 210.0]
    summary = cgm(sensor(start, values), start, start + timedelta(days=1), days=1)
    assert summary is not None
    assert len(summary.agp) == SLOTS == 96
    first, second, third = summary.agp[:3]
    assert (first.start, first.readings) == (time(0, 0), 3)
    assert first.percentiles == pytest.approx((101, 105, 110, 115, 119))
    assert second.percentiles == pytest.approx((132, 140, 150, 160, 168))
    assert third.percentiles == pytest.approx((200.5, 202.5, 205, 207.5, 209.5))
    assert summary.agp[3].percentiles is None
    assert summary.agp[95].start == time(23, 45)
    assert all(slot.readings == 0 for slot in summary.agp[3:])


def test_the_profile_pools_days_by_local_time_across_daylight_saving_changes() -> None:
    # 2026-03-08 03:00 EDT is 07:00 UTC, which at the winter offset would be 02:00.
    spring = local(2026, 3, 8, 3)
    # 2026-11-01: 01:00-01:59 happens twice (EDT, then EST): both hours fill the same slots.
    autumn = datetime(2026, 11, 1, 5, tzinfo=UTC)  # 01:00 EDT
    readings = sensor(spring, [100.0] * 8) + sensor(autumn, [200.0] * 24)
    summary = cgm(readings, local(2026, 3, 1), local(2026, 11, 2), days=14)
    assert summary is not None
    by_slot = {slot.start: slot.readings for slot in summary.agp if slot.readings}
    assert by_slot == {
        time(1, 0): 6,
        time(1, 15): 6,
        time(1, 30): 6,
        time(1, 45): 6,
        time(3, 0): 3,
        time(3, 15): 3,
        time(3, 30): 2,
    }
    assert summary.days == 2
