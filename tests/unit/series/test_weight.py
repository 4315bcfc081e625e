"""Weight: the latest reading, its change by the nearest-reading rule, pounds, and BMI."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from phr_share.series.points import Point
from phr_share.series.weight import Measure, WeightSummary, height_m, summarise_weight, weight_kg
from tests.unit.series.make import height, local, weight

LATEST = local(2026, 6, 30, 8)
START = local(2026, 6, 17)


def summarise(
    points: list[Point], start: datetime = START, end: datetime = LATEST
) -> WeightSummary:
    weights = [m for p in points if (m := weight_kg(p)) is not None]
    heights = [m for p in points if (m := height_m(p)) is not None]
    return summarise_weight(weights, heights, start=start, end=end)


def before(days: float) -> datetime:
    return LATEST - timedelta(days=days)


def test_no_weight_in_the_window_gives_no_figures() -> None:
    # A weight before the window is not the latest of the window.
    summary = summarise([weight(before(20), 80), height(before(20), 180)])
    assert summary.readings == 0
    assert summary.latest is None
    assert (summary.change_30d_kg, summary.change_90d_kg, summary.bmi) == (None, None, None)


def test_the_latest_weight_of_the_window_in_kg() -> None:
    points = [weight(before(3), 81), weight(LATEST, 180, "[lb_av]"), weight(before(1), 82)]
    summary = summarise(points)
    assert summary.readings == 3
    assert summary.latest == Measure(LATEST, pytest.approx(81.6466266))


@pytest.mark.parametrize(
    ("references", "change"),
    [
        ([(30, 80)], 2.0),
        ([(28, 81), (30.5, 79)], 3.0),  # 30.5 days before is nearer to 30 than 28 is
        ([(45, 80)], 2.0),  # 15 days from 30: still near enough
        ([(45.01, 80)], None),
        ([(15, 80)], 2.0),
        ([(14.99, 80)], None),
        ([(27, 81), (33, 77)], 5.0),  # equally near: the earlier, 33 days before, is used
    ],
)
def test_change_over_30_days_uses_the_nearest_reading_within_15_days(
    references: list[tuple[float, float]], change: float | None
) -> None:
    points = [weight(LATEST, 82)] + [weight(before(days), kg) for days, kg in references]
    summary = summarise(points)
    assert summary.change_30d_kg == (None if change is None else pytest.approx(change))


@pytest.mark.parametrize(
    ("days_before", "change"),
    [([90], -3.0), ([60], -3.0), ([120], -3.0), ([59.9], None), ([120.1], None), ([80, 95], -3.0)],
)
def test_change_over_90_days_uses_the_nearest_reading_within_30_days(
    days_before: list[float], change: float | None
) -> None:
    points = [weight(LATEST, 82)]
    points += [weight(before(d), 85.0 if d != 80 else 70.0) for d in days_before]
    summary = summarise(points)
    assert summary.change_90d_kg == (None if change is None else pytest.approx(change))


def test_pounds_are_converted_before_the_change() -> None:
    summary = summarise([weight(LATEST, 200, "[lb_av]"), weight(before(30), 100, "kg")])
    assert summary.change_30d_kg == pytest.approx(200 * 0.45359237 - 100)


@pytest.mark.parametrize(("value", "unit"), [(180, "cm"), (1.8, "m"), (180 / 2.54, "[in_i]")])
def test_bmi_from_the_latest_weight_and_height(value: float, unit: str) -> None:
    summary = summarise([weight(LATEST, 81), height(before(400), value, unit)])
    assert summary.bmi == pytest.approx(25.0)


def test_bmi_uses_the_latest_height_up_to_the_end_of_the_window() -> None:
    points = [
        weight(LATEST, 81),
        height(before(700), 170),
        height(before(300), 180),
        height(LATEST + timedelta(days=1), 150),
    ]
    assert summarise(points).bmi == pytest.approx(25.0)


def test_no_height_or_an_unknown_unit_gives_no_bmi() -> None:
    assert summarise([weight(LATEST, 81)]).bmi is None
    assert summarise([weight(LATEST, 81), height(before(1), 5.9, "[ft_i]")]).bmi is None


def test_weights_in_unknown_units_are_ignored() -> None:
    assert summarise([weight(LATEST, 81000, "g")]).readings == 0
