"""Home blood pressure over a window: readings, means, morning and evening, target share.

Pure: no I/O, no clock. The figures follow home monitoring as the 2017 ACC/AHA guideline
(section 4.2) and the ESH 2023 home protocol describe it.

A *reading* is what one sitting measured at one instant: the systolic and diastolic points
of one source with the same ``at``. When a source holds several points of one code at the
same instant they pair in the order they came. A point without its partner is still a
reading, a partial one: it counts toward the mean of its own code (and toward ``readings``
and ``days``), never toward the share at or above target nor the highest reading, which
are computed over complete pairs only (``pairs`` says how many).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import zip_longest
from zoneinfo import ZoneInfo

from phr_share.series.points import DIASTOLIC, SYSTOLIC, Point

__all__ = [
    "EVENING",
    "MORNING",
    "UNIT",
    "PeriodMeans",
    "PressureReading",
    "PressureSummary",
    "pair_readings",
    "summarise_pressure",
]

UNIT = "mm[Hg]"
# Local clock hours, first included and last excluded: 04:00-11:59 and 18:00-23:59.
MORNING = (4, 12)
EVENING = (18, 24)


@dataclass(frozen=True, slots=True)
class PressureReading:
    """One sitting's reading; one of the two values is missing for a partial reading."""

    at: datetime
    systolic: float | None
    diastolic: float | None

    @property
    def complete(self) -> bool:
        """Whether both values were measured."""
        return self.systolic is not None and self.diastolic is not None


@dataclass(frozen=True, slots=True)
class PeriodMeans:
    """The readings of one part of the day and their means (None without readings)."""

    readings: int
    mean_systolic: float | None
    mean_diastolic: float | None


@dataclass(frozen=True, slots=True)
class PressureSummary:
    """Home blood pressure over the window; every figure is None without readings."""

    readings: int
    pairs: int
    days: int
    mean_systolic: float | None
    mean_diastolic: float | None
    morning: PeriodMeans
    evening: PeriodMeans
    target: tuple[int, int]
    share_at_or_above_target: float | None
    highest: PressureReading | None


def pair_readings(points: Iterable[Point]) -> list[PressureReading]:
    """Pair systolic and diastolic points by source and instant, in order of first point."""
    groups: dict[tuple[datetime, uuid.UUID], tuple[list[float], list[float]]] = {}
    for point in points:
        if point.unit != UNIT or point.code not in (SYSTOLIC, DIASTOLIC):
            continue
        # In UTC, so that times of one zone order and match as instants, not wall clocks.
        key = (point.at.astimezone(UTC), point.source)
        systolic, diastolic = groups.setdefault(key, ([], []))
        (systolic if point.code == SYSTOLIC else diastolic).append(point.value)
    return [
        PressureReading(at, s, d)
        for (at, _), (systolics, diastolics) in groups.items()
        for s, d in zip_longest(systolics, diastolics)
    ]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _means(readings: Sequence[PressureReading]) -> PeriodMeans:
    systolic = [r.systolic for r in readings if r.systolic is not None]
    diastolic = [r.diastolic for r in readings if r.diastolic is not None]
    return PeriodMeans(len(readings), _mean(systolic), _mean(diastolic))


def _at_or_above(reading: PressureReading, target: tuple[int, int]) -> bool:
    systolic, diastolic = reading.systolic, reading.diastolic
    if systolic is None or diastolic is None:
        return False
    return systolic >= target[0] or diastolic >= target[1]


def _highest(pairs: Sequence[PressureReading]) -> PressureReading | None:
    # max keeps the first of equal readings: the earliest, as readings come in time order.
    return max(pairs, key=lambda r: (r.systolic, r.diastolic), default=None)


def summarise_pressure(
    points: Iterable[Point], *, zone: ZoneInfo, target: tuple[int, int] = (130, 80)
) -> PressureSummary:
    """Summarise the blood pressure points of a window (other codes and units are ignored)."""
    readings = sorted(pair_readings(points), key=lambda r: r.at)
    local = [r.at.astimezone(zone) for r in readings]
    morning = [r for r, t in zip(readings, local, strict=True) if _within(t, MORNING)]
    evening = [r for r, t in zip(readings, local, strict=True) if _within(t, EVENING)]
    pairs = [r for r in readings if r.complete]
    overall = _means(readings)
    share = sum(_at_or_above(r, target) for r in pairs) / len(pairs) if pairs else None
    return PressureSummary(
        readings=len(readings),
        pairs=len(pairs),
        days=len({t.date() for t in local}),
        mean_systolic=overall.mean_systolic,
        mean_diastolic=overall.mean_diastolic,
        morning=_means(morning),
        evening=_means(evening),
        target=target,
        share_at_or_above_target=share,
        highest=_highest(pairs),
    )


def _within(moment: datetime, hours: tuple[int, int]) -> bool:
    return hours[0] <= moment.hour < hours[1]
