"""Weight over a window: the latest reading, its change over 30 and 90 days, and BMI.

Pure: no I/O, no clock. Weights are in kg (``[lb_av]`` converted), heights in m (``cm``
and ``[in_i]`` converted); points in another unit are ignored.

The change over 30 days compares the latest weight of the window with the reading nearest
to 30 days (exactly, 30 x 24 h) before it, among readings at most 15 days from that moment;
over 90 days, the nearest to 90 days before among readings at most 30 days away. With no
reading that near, the change is None. Of two readings equally near, the earlier is used.
These reference readings may lie before the window. BMI uses the latest height measured at
any time up to the end of the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from phr_share.series.points import HEIGHT, WEIGHT, Point

__all__ = [
    "CHANGES",
    "KG_PER_LB",
    "M_PER_IN",
    "Measure",
    "WeightSummary",
    "height_m",
    "summarise_weight",
    "weight_kg",
]

KG_PER_LB = 0.45359237
M_PER_IN = 0.0254
_KG = {"kg": 1.0, "[lb_av]": KG_PER_LB}
_M = {"m": 1.0, "cm": 0.01, "[in_i]": M_PER_IN}
# (days before the latest reading, how far from that moment a reference may be)
CHANGES = ((timedelta(days=30), timedelta(days=15)), (timedelta(days=90), timedelta(days=30)))


@dataclass(frozen=True, slots=True)
class Measure:
    """A weight in kg or a height in m, and when (in UTC) it was measured."""

    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class WeightSummary:
    """Weight over the window; every figure is None without a weight in the window."""

    readings: int
    latest: Measure | None
    change_30d_kg: float | None
    change_90d_kg: float | None
    bmi: float | None


def weight_kg(point: Point) -> Measure | None:
    """The point as a weight in kg, or None when it is not a weight in a known unit."""
    factor = _KG.get(point.unit)
    if point.code != WEIGHT or factor is None:
        return None
    return Measure(point.at.astimezone(UTC), point.value * factor)


def height_m(point: Point) -> Measure | None:
    """The point as a height in m, or None when it is not a height in a known unit."""
    factor = _M.get(point.unit)
    if point.code != HEIGHT or factor is None:
        return None
    return Measure(point.at.astimezone(UTC), point.value * factor)


def _nearest(weights: Iterable[Measure], moment: datetime, within: timedelta) -> Measure | None:
    near = [w for w in weights if abs(w.at - moment) <= within]
    return min(near, key=lambda w: (abs(w.at - moment), w.at), default=None)


def _change(weights: Sequence[Measure], latest: Measure, back: int) -> float | None:
    before, within = CHANGES[back]
    reference = _nearest(weights, latest.at - before, within)
    return None if reference is None else latest.value - reference.value


def summarise_weight(
    weights: Sequence[Measure], heights: Sequence[Measure], *, start: datetime, end: datetime
) -> WeightSummary:
    """Summarise the weights of [start, end], given every weight and height up to ``end``."""
    window = [w for w in weights if start <= w.at <= end]
    latest = max(window, key=lambda w: w.at, default=None)
    if latest is None:
        return WeightSummary(0, None, None, None, None)
    height = max((h for h in heights if h.at <= end), key=lambda h: h.at, default=None)
    bmi = latest.value / height.value**2 if height is not None and height.value > 0 else None
    return WeightSummary(
        readings=len(window),
        latest=latest,
        change_30d_kg=_change(weights, latest, 0),
        change_90d_kg=_change(weights, latest, 1),
        bmi=bmi,
    )
