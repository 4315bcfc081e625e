"""What the consensus report draws of continuous glucose: the ambulatory glucose profile
(AGP) and the stacked time-in-range bar, as plain data for the page and the visit report.

Pure: no I/O, no clock. Both are read from the window's
:class:`~phr_share.series.glucose.CgmSummary`, where the slot percentiles and the five
bands are computed once; nothing here counts readings again.

Continuous. Both exist only where the sensor data is continuous, which is the summary's
``sufficient``: a window of at least ``SUFFICIENT_DAYS`` (14) days with at least
``SUFFICIENT_SHARE`` (70 %) of its time captured by a sensor (Battelino et al., Diabetes
Care 2019;42:1593). Otherwise :func:`glucose_profile` and :func:`range_bar` give None.

Profile. One point per 15-minute slot of local clock time that holds readings, its
percentiles smoothed lightly: each is the mean of its own slot's (weight 2) and its two
neighbours' (weight 1 each), around midnight too; a neighbour without readings is left
out of the mean. The profile's curves then rise and fall without the slot-to-slot jitter
of a few readings.

Bar. The five consensus bands stacked from very high to very low, each with its share of
the sensor readings, and the consensus goals for most adults with type 1 or type 2
diabetes: in range (70-180 mg/dL) more than 70 %, below range (under 70) under 4 %, very
low (under 54) under 1 %, above range (over 180) under 25 %, very high (over 250) under 5 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from phr_share.series.glucose import (
    SLOT_MINUTES,
    SLOTS,
    SUFFICIENT_DAYS,
    SUFFICIENT_SHARE,
    CgmSummary,
)
from phr_share.series.summary import percent

__all__ = [
    "GOALS",
    "NEEDS",
    "SMOOTHING",
    "BarPart",
    "GlucoseProfile",
    "Goal",
    "GoalResult",
    "ProfilePoint",
    "RangeBar",
    "agp_json",
    "glucose_profile",
    "range_bar",
]

# What the profile and the bar need, in words a patient reads.
NEEDS = (
    f"sensor readings on at least {SUFFICIENT_DAYS} days, covering at least "
    f"{round(SUFFICIENT_SHARE * 100)}% of the time"
)
# The weights of the slot before, the slot itself and the slot after.
SMOOTHING = (1, 2, 1)


@dataclass(frozen=True, slots=True)
class Goal:
    """A consensus goal: the share of readings in ``bands`` to stay over (``more``) or
    under ``limit``."""

    name: str
    bands: tuple[str, ...]
    more: bool
    limit: float

    @property
    def words(self) -> str:
        """The goal as people read it: "more than 70%", "under 4%"."""
        return f"{'more than' if self.more else 'under'} {percent(self.limit)}"


GOALS = (
    Goal("Time in range", ("70-180",), more=True, limit=0.70),
    Goal("Time below range", ("<54", "54-69"), more=False, limit=0.04),
    Goal("Time very low", ("<54",), more=False, limit=0.01),
    Goal("Time above range", ("181-250", ">250"), more=False, limit=0.25),
    Goal("Time very high", (">250",), more=False, limit=0.05),
)
# Each band as the report names it, from the top of the bar down.
_PARTS = (
    (">250", "Very high", "over 250 mg/dL"),
    ("181-250", "High", "181-250 mg/dL"),
    ("70-180", "In range", "70-180 mg/dL"),
    ("54-69", "Low", "54-69 mg/dL"),
    ("<54", "Very low", "under 54 mg/dL"),
)


@dataclass(frozen=True, slots=True)
class ProfilePoint:
    """One slot of the profile: minutes after local midnight at its start, the readings
    in it, and its smoothed 5th, 25th, 50th, 75th and 95th percentiles in mg/dL."""

    minute: int
    readings: int
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float


@dataclass(frozen=True, slots=True)
class GlucoseProfile:
    """The AGP of a window: its points in the order of the day (slots with readings)."""

    points: tuple[ProfilePoint, ...]
    readings: int
    days: int
    captured_share: float
    slot_minutes: int = SLOT_MINUTES


@dataclass(frozen=True, slots=True)
class BarPart:
    """One band of the bar: its name, its limits in words, its share and that share as
    people read it."""

    band: str
    name: str
    limits: str
    share: float
    percent: str


@dataclass(frozen=True, slots=True)
class GoalResult:
    """A goal and the window's share against it."""

    goal: Goal
    share: float
    percent: str
    met: bool

    @property
    def sentence(self) -> str:
        """ "Time in range 74% — goal: more than 70% (met)"."""
        met = "met" if self.met else "not met"
        return f"{self.goal.name} {self.percent} — goal: {self.goal.words} ({met})"


@dataclass(frozen=True, slots=True)
class RangeBar:
    """The stacked time-in-range bar: the five bands from very high to very low, and the
    consensus goals with the window's shares."""

    parts: tuple[BarPart, ...]
    goals: tuple[GoalResult, ...]
    readings: int
    days: int


def glucose_profile(cgm: CgmSummary | None) -> GlucoseProfile | None:
    """The window's ambulatory glucose profile, smoothed; None unless continuous."""
    if cgm is None or not cgm.sufficient or cgm.captured_share is None:
        return None
    raw = [slot.percentiles for slot in cgm.agp]
    points = []
    for index, slot in enumerate(cgm.agp):
        if slot.percentiles is None:
            continue
        near = zip((raw[(index + step) % SLOTS] for step in (-1, 0, 1)), SMOOTHING, strict=True)
        weighed = [(figures, w) for figures, w in near if figures is not None]
        total = sum(w for _, w in weighed)
        smooth = [sum(f[i] * w for f, w in weighed) / total for i in range(len(slot.percentiles))]
        minute = slot.start.hour * 60 + slot.start.minute
        points.append(ProfilePoint(minute, slot.readings, *smooth))
    return GlucoseProfile(tuple(points), cgm.readings, cgm.days, cgm.captured_share)


def range_bar(cgm: CgmSummary | None) -> RangeBar | None:
    """The window's stacked time-in-range bar and goals; None unless continuous."""
    if cgm is None or not cgm.sufficient:
        return None
    shares = {b.band: b.share or 0.0 for b in cgm.bands}
    parts = tuple(
        BarPart(band, name, limits, shares[band], percent(shares[band]))
        for band, name, limits in _PARTS
    )
    goals = []
    for goal in GOALS:
        share = sum(shares[band] for band in goal.bands)
        met = share > goal.limit if goal.more else share < goal.limit
        goals.append(GoalResult(goal, share, percent(share), met))
    return RangeBar(parts, tuple(goals), cgm.readings, cgm.days)


def agp_json(cgm: CgmSummary | None) -> dict[str, Any] | None:
    """The profile and the bar as the page draws them (values in mg/dL to one decimal);
    None unless continuous."""
    profile, bar = glucose_profile(cgm), range_bar(cgm)
    if profile is None or bar is None:
        return None
    names = ("p5", "p25", "p50", "p75", "p95")
    return {
        "slot_minutes": profile.slot_minutes,
        "days": profile.days,
        "readings": profile.readings,
        "captured": percent(profile.captured_share),
        "profile": [
            {"minute": p.minute, **{n: round(getattr(p, n), 1) for n in names}}
            for p in profile.points
        ],
        "bar": [
            {"band": p.band, "name": p.name, "limits": p.limits, "share": round(p.share, 4)}
            | {"percent": p.percent}
            for p in bar.parts
        ],
        "goals": [g.sentence for g in bar.goals],
    }
