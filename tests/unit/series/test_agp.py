"""The ambulatory glucose profile and the time-in-range bar, against figures worked out by
hand, and drawn only where the sensor data is continuous."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from phr_share.series.agp import (
    GOALS,
    agp_json,
    glucose_profile,
    range_bar,
)
from phr_share.series.glucose import (
    BANDS,
    SLOTS,
    AgpSlot,
    BandCount,
    CgmSummary,
    GlucoseReading,
    split_runs,
    summarise_cgm,
)
from tests.unit.series.make import NY, SOURCE, local


def sensor(start: datetime, values: list[float]) -> list[GlucoseReading]:
    """Five-minute sensor readings from ``start``."""
    return [
        GlucoseReading(start + timedelta(minutes=5 * i), v, SOURCE) for i, v in enumerate(values)
    ]


def cgm(readings: list[GlucoseReading], start: datetime, days: int = 14) -> CgmSummary | None:
    end = start + timedelta(days=days)
    return summarise_cgm(split_runs(readings)[1], start=start, end=end, days=days, zone=NY)


def by_day(days: int = 14) -> list[GlucoseReading]:
    """Every reading of day d (0-13) is 100 + 10 d mg/dL, whatever the time of day."""
    start = local(2026, 1, 1)
    return [
        r for d in range(days) for r in sensor(start + timedelta(days=d), [100.0 + 10 * d] * 288)
    ]


def test_each_slot_holds_the_percentiles_of_its_readings_over_the_days() -> None:
    profile = glucose_profile(cgm(by_day(), local(2026, 1, 1)))
    assert profile is not None
    assert len(profile.points) == SLOTS
    assert [p.minute for p in profile.points[:3]] == [0, 15, 30]
    # A slot holds 3 readings a day for 14 days: 100, 100, 100, 110, ... 230, 230, 230.
    # Ranks (42 - 1) x p / 100: 2.05 -> 100 + 0.05 x 10; 10.25 -> 130; 20.5 -> 165;
    # 30.75 -> 200; 38.95 -> 220 + 0.95 x 10. Every slot alike, so smoothing keeps them.
    for point in profile.points:
        assert point.readings == 42
        assert (point.p5, point.p25, point.p50, point.p75, point.p95) == pytest.approx(
            (100.5, 130, 165, 200, 229.5)
        )
    assert profile.days == 14
    assert profile.captured_share == pytest.approx(1.0)


def hand_made(slots: dict[int, float], *, sufficient: bool = True) -> CgmSummary:
    """A summary whose slot i has every percentile at ``slots[i]`` (empty when absent)."""
    agp = tuple(
        AgpSlot(
            time(i * 15 // 60, i * 15 % 60),
            10 if i in slots else 0,
            (slots[i],) * 5 if i in slots else None,
        )
        for i in range(SLOTS)
    )
    bands = tuple(BandCount(b, 0, 0.0) for b in BANDS)
    return CgmSummary(4032, 14, 1.0, sufficient, 120, 30, 0.25, 6.2, bands, agp)


def test_the_profile_is_smoothed_with_its_neighbours_around_midnight_and_gaps() -> None:
    slots = {i: float(i) for i in range(SLOTS) if i != 10}
    profile = glucose_profile(hand_made(slots))
    assert profile is not None
    smooth = {p.minute // 15: p.p50 for p in profile.points}
    assert 10 not in smooth  # a slot without readings is no point
    assert smooth[5] == pytest.approx((4 + 2 * 5 + 6) / 4)
    assert smooth[0] == pytest.approx((95 + 0 + 1) / 4)  # 23:45 is the slot before 00:00
    assert smooth[95] == pytest.approx((94 + 2 * 95 + 0) / 4)
    assert smooth[11] == pytest.approx((2 * 11 + 12) / 3)  # slot 10 left out of the mean


def pattern(counts: dict[float, int]) -> list[float]:
    """40 repeats of 100 readings: ``counts`` readings of each value."""
    block = [value for value, n in counts.items() for _ in range(n)]
    assert len(block) == 100
    return block * 40


def test_the_bar_stacks_the_bands_and_says_each_goal_in_words() -> None:
    values = pattern({50.0: 1, 60.0: 2, 120.0: 74, 200.0: 18, 300.0: 5})
    bar = range_bar(cgm(sensor(local(2026, 1, 1), values), local(2026, 1, 1)))
    assert bar is not None
    assert [(p.name, p.limits, p.percent) for p in bar.parts] == [
        ("Very high", "over 250 mg/dL", "5%"),
        ("High", "181-250 mg/dL", "18%"),
        ("In range", "70-180 mg/dL", "74%"),
        ("Low", "54-69 mg/dL", "2%"),
        ("Very low", "under 54 mg/dL", "1%"),
    ]
    assert [p.share for p in bar.parts] == pytest.approx([0.05, 0.18, 0.74, 0.02, 0.01])
    assert [g.sentence for g in bar.goals] == [
        "Time in range 74% — goal: more than 70% (met)",
        "Time below range 3% — goal: under 4% (met)",
        "Time very low 1% — goal: under 1% (not met)",  # 1% is not under 1%
        "Time above range 23% — goal: under 25% (met)",
        "Time very high 5% — goal: under 5% (not met)",
    ]
    assert bar.readings == 4000


def test_a_goal_at_its_limit_is_not_met() -> None:
    values = pattern({120.0: 70, 200.0: 30})
    bar = range_bar(cgm(sensor(local(2026, 1, 1), values), local(2026, 1, 1)))
    assert bar is not None
    met = {g.goal.name: g.met for g in bar.goals}
    assert met == {
        "Time in range": False,  # exactly 70%: the goal is more than 70%
        "Time below range": True,
        "Time very low": True,
        "Time above range": False,
        "Time very high": True,
    }
    assert [g.goal.words for g in bar.goals] == [
        "more than 70%",
        "under 4%",
        "under 1%",
        "under 25%",
        "under 5%",
    ]
    assert len(GOALS) == 5


@pytest.mark.parametrize(
    ("days", "window"),
    [
        (9, 14),  # nine days of a 14-day window: 64% of the time, under 70%
        (7, 7),  # all the time of a 7-day window: too short a window to count
    ],
)
def test_without_enough_sensor_data_there_is_neither(days: int, window: int) -> None:
    summary = cgm(by_day(days), local(2026, 1, 1), days=window)
    assert summary is not None
    assert summary.sufficient is False
    assert glucose_profile(summary) is None
    assert range_bar(summary) is None
    assert agp_json(summary) is None


def test_no_sensor_data_gives_neither() -> None:
    assert glucose_profile(None) is None
    assert range_bar(None) is None
    assert agp_json(None) is None


def test_just_enough_sensor_data_gives_both() -> None:
    # 10 days of a 14-day window: 71.4% of the time.
    summary = cgm(by_day(10), local(2026, 1, 1))
    assert summary is not None
    assert summary.sufficient is True
    assert glucose_profile(summary) is not None
    assert range_bar(summary) is not None


def test_the_page_data_is_plain_numbers_and_words() -> None:
    document = agp_json(cgm(by_day(), local(2026, 1, 1)))
    assert document is not None
    assert document["captured"] == "100%"
    assert document["profile"][0] == {
        "minute": 0,
        "p5": 100.5,
        "p25": 130,
        "p50": 165,
        "p75": 200,
        "p95": 229.5,
    }
    assert [part["band"] for part in document["bar"]] == [
        ">250",
        "181-250",
        "70-180",
        "54-69",
        "<54",
    ]
    # Days of 100-180 mg/dL are in range, of 190-230 high: 9 and 5 of 14.
    assert [part["percent"] for part in document["bar"]] == ["0%", "36%", "64%", "0%", "0%"]
    assert document["goals"][0] == "Time in range 64% — goal: more than 70% (not met)"
