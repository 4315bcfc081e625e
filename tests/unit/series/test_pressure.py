"""Home blood pressure: pairing, means, morning and evening, target share, highest."""

from __future__ import annotations

import pytest

from phr_share.series.points import DIASTOLIC, SYSTOLIC
from phr_share.series.pressure import PeriodMeans, PressureReading, summarise_pressure
from tests.unit.series.make import NY, OTHER, SOURCE, bp, local, point


def test_no_readings_give_no_figures() -> None:
    summary = summarise_pressure([], zone=NY)
    assert (summary.readings, summary.pairs, summary.days) == (0, 0, 0)
    assert summary.mean_systolic is None
    assert summary.mean_diastolic is None
    assert summary.morning == PeriodMeans(0, None, None)
    assert summary.evening == PeriodMeans(0, None, None)
    assert summary.share_at_or_above_target is None
    assert summary.highest is None
    assert summary.target == (130, 80)


def test_one_reading() -> None:
    at = local(2026, 1, 10, 8, 15)
    summary = summarise_pressure(bp(at, 142, 91), zone=NY)
    assert (summary.readings, summary.pairs, summary.days) == (1, 1, 1)
    assert (summary.mean_systolic, summary.mean_diastolic) == (142, 91)
    assert summary.morning == PeriodMeans(1, 142, 91)
    assert summary.evening == PeriodMeans(0, None, None)
    assert summary.share_at_or_above_target == 1.0
    assert summary.highest == PressureReading(at, 142, 91)


def test_means_and_share_at_or_above_the_default_target() -> None:
    # 128/79 is under; 130/70 is at (systolic); 120/80 is at (diastolic); 129/79 is under.
    points = [
        *bp(local(2026, 1, 10, 13), 128, 79),
        *bp(local(2026, 1, 11, 13), 130, 70),
        *bp(local(2026, 1, 12, 13), 120, 80),
        *bp(local(2026, 1, 12, 14), 129, 79),
    ]
    summary = summarise_pressure(points, zone=NY)
    assert summary.readings == 4
    assert summary.days == 3
    assert summary.mean_systolic == pytest.approx(126.75)
    assert summary.mean_diastolic == pytest.approx(77.0)
    assert summary.share_at_or_above_target == 0.5


def test_the_target_is_a_parameter() -> None:
    points = [*bp(local(2026, 1, 10, 13), 135, 85), *bp(local(2026, 1, 10, 14), 140, 85)]
    summary = summarise_pressure(points, zone=NY, target=(140, 90))
    assert summary.target == (140, 90)
    assert summary.share_at_or_above_target == 0.5


@pytest.mark.parametrize(
    ("hour", "minute", "second", "period"),
    [
        (0, 0, 0, None),
        (3, 59, 59, None),
        (4, 0, 0, "morning"),
        (11, 59, 59, "morning"),
        (12, 0, 0, None),
        (17, 59, 59, None),
        (18, 0, 0, "evening"),
        (23, 59, 59, "evening"),
    ],
)
def test_morning_and_evening_are_local_clock_periods(
    hour: int, minute: int, second: int, period: str | None
) -> None:
    summary = summarise_pressure(bp(local(2026, 1, 10, hour, minute, second), 150, 90), zone=NY)
    assert summary.morning.readings == (period == "morning")
    assert summary.evening.readings == (period == "evening")


@pytest.mark.parametrize(
    ("day", "hour", "minute", "morning"),
    [
        # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT.
        ((2026, 3, 8), 7, 30, True),
        ((2026, 3, 8), 4, 30, True),  # 08:30 UTC; at the winter offset it would be 03:30
        ((2026, 3, 8), 3, 30, False),
        # 2026-11-01: clocks go back from 02:00 EDT to 01:00 EST.
        ((2026, 11, 1), 7, 30, True),
        ((2026, 11, 1), 3, 59, False),  # 08:59 UTC; at the summer offset it would be 04:59
        ((2026, 11, 1), 4, 0, True),
    ],
)
def test_morning_follows_daylight_saving_changes(
    day: tuple[int, int, int], hour: int, minute: int, morning: bool
) -> None:
    summary = summarise_pressure(bp(local(*day, hour, minute), 150, 90), zone=NY)
    assert summary.morning.readings == morning


def test_days_are_local_days() -> None:
    # 22:00 and 23:30 in New York are 03:00 and 04:30 UTC of the next day: one local day.
    points = [*bp(local(2026, 1, 10, 22), 120, 70), *bp(local(2026, 1, 10, 23, 30), 120, 70)]
    points += bp(local(2026, 1, 11, 0, 30), 120, 70)
    assert summarise_pressure(points, zone=NY).days == 2


def test_each_reading_of_one_sitting_counts() -> None:
    points = [
        *bp(local(2026, 1, 10, 8, 0), 140, 90),
        *bp(local(2026, 1, 10, 8, 1), 136, 88),
        *bp(local(2026, 1, 10, 8, 2), 132, 86),
    ]
    summary = summarise_pressure(points, zone=NY)
    assert (summary.readings, summary.pairs, summary.days) == (3, 3, 1)
    assert summary.mean_systolic == pytest.approx(136)
    assert summary.morning.mean_diastolic == pytest.approx(88)


def test_points_pair_only_within_one_source_and_instant() -> None:
    at = local(2026, 1, 10, 8)
    points = [point(SYSTOLIC, 140, "mm[Hg]", at, SOURCE), point(DIASTOLIC, 90, "mm[Hg]", at, OTHER)]
    summary = summarise_pressure(points, zone=NY)
    assert (summary.readings, summary.pairs) == (2, 0)
    assert (summary.mean_systolic, summary.mean_diastolic) == (140, 90)
    assert summary.share_at_or_above_target is None
    assert summary.highest is None


def test_same_instant_points_pair_in_order() -> None:
    at = local(2026, 1, 10, 8)
    points = [
        point(SYSTOLIC, 150, "mm[Hg]", at),
        point(SYSTOLIC, 120, "mm[Hg]", at),
        point(DIASTOLIC, 70, "mm[Hg]", at),
        point(DIASTOLIC, 95, "mm[Hg]", at),
    ]
    summary = summarise_pressure(points, zone=NY)
    assert summary.pairs == 2
    assert summary.highest == PressureReading(at, 150, 70)


def test_a_lone_systolic_counts_toward_its_mean_only() -> None:
    points = [
        *bp(local(2026, 1, 10, 13), 120, 70),
        point(SYSTOLIC, 140, "mm[Hg]", local(2026, 1, 11, 13)),
    ]
    summary = summarise_pressure(points, zone=NY)
    assert (summary.readings, summary.pairs, summary.days) == (2, 1, 2)
    assert summary.mean_systolic == pytest.approx(130)
    assert summary.mean_diastolic == pytest.approx(70)
    # The share is over complete pairs: 120/70 is under, the lone 140 is not counted.
    assert summary.share_at_or_above_target == 0.0
    assert summary.highest is not None
    assert summary.highest.systolic == 120


def test_highest_is_by_systolic_then_diastolic_and_earliest_of_equals() -> None:
    first, second = local(2026, 1, 10, 8), local(2026, 1, 11, 8)
    points = [
        *bp(local(2026, 1, 9, 8), 149, 110),
        *bp(first, 150, 95),
        *bp(second, 150, 95),
        *bp(local(2026, 1, 12, 8), 150, 85),
    ]
    assert summarise_pressure(points, zone=NY).highest == PressureReading(first, 150, 95)


def test_other_units_and_codes_are_ignored() -> None:
    at = local(2026, 1, 10, 8)
    points = [
        point(SYSTOLIC, 18.7, "kPa", at),
        point(DIASTOLIC, 12.0, "kPa", at),
        point("8867-4", 70, "/min", at),
    ]
    assert summarise_pressure(points, zone=NY).readings == 0
