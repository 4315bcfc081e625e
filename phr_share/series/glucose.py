"""Glucose over a window: self-measured readings, and continuous monitoring (CGM).

Pure: no I/O, no clock. The figures follow the international consensus on time in range
(Battelino et al., Diabetes Care 2019;42:1593).

Units. mmol/L values are converted to mg/dL with ``MG_PER_MMOL``; means, SD, GMI and the
profile use the converted value as it is. *Banding* first rounds it to the nearest whole
mg/dL (halves up), then places it in ``<54``, ``54-69``, ``70-180``, ``181-250`` or
``>250``. Rounding makes the consensus' mmol/L edges land where their mg/dL equivalents do:
3.0 mmol/L (54.05) is 54-69, 3.9 (70.26) is 70-180, 10.0 (180.16) is 70-180, 10.1 (181.96)
is 181-250, 13.9 (250.42) is 181-250 and 14.0 (252.2) is >250.

CGM. Within each source, glucose readings sorted by time form *runs*: maximal sequences
whose consecutive readings are at most ``CGM_MAX_GAP`` (15 min) apart. A run of at least
``CGM_MIN_RUN`` (8) readings is sensor data; every other reading is self-measured. Runs are
found per source so that a fingerstick entered during sensor wear stays self-measured.
A run's sensor interval is the median of its gaps (5 or 15 min for the usual sensors).

Sensor figures. The share of sensor time captured is the sum over runs of (the run's
readings in the window x its interval), over the window's elapsed length. The figures
count (``sufficient``) when the window is at least ``SUFFICIENT_DAYS`` (14) days long and
captured at least ``SUFFICIENT_SHARE`` (70 %); they are computed either way, GMI included,
and the page says whether they count. A band's minutes are its share of readings as time
per day (share x 1440), as the consensus reports time in ranges. The ambulatory glucose
profile pools the window's sensor readings by 15-minute slot of local clock time (96
slots) and gives the 5th, 25th, 50th, 75th and 95th percentiles of each slot by linear
interpolation between closest ranks (numpy's default, "linear").
"""

from __future__ import annotations

import bisect
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from phr_share.series.points import GLUCOSE_CODES, GLUCOSE_MMOL, MG_PER_MMOL, Point

__all__ = [
    "BANDS",
    "CGM_MAX_GAP",
    "CGM_MIN_RUN",
    "GMI_MIN_DAYS",
    "PERCENTILES",
    "SLOTS",
    "SLOT_MINUTES",
    "SUFFICIENT_DAYS",
    "SUFFICIENT_SHARE",
    "AgpSlot",
    "BandCount",
    "CgmSummary",
    "GlucoseReading",
    "GlucoseSummary",
    "Run",
    "band",
    "glucose_reading",
    "gmi",
    "percentile",
    "split_runs",
    "summarise_cgm",
    "summarise_glucose",
]

BANDS = ("<54", "54-69", "70-180", "181-250", ">250")
# The highest whole mg/dL of each band but the last.
_BAND_TOPS = (53, 69, 180, 250)
GMI_MIN_DAYS = 10
CGM_MAX_GAP = timedelta(minutes=15)
CGM_MIN_RUN = 8
SUFFICIENT_SHARE = 0.70
SUFFICIENT_DAYS = 14
PERCENTILES = (5, 25, 50, 75, 95)
SLOT_MINUTES = 15
SLOTS = 24 * 60 // SLOT_MINUTES
_UNITS = {"mg/dL": 1.0, "mmol/L": MG_PER_MMOL}
_CODES = GLUCOSE_CODES | GLUCOSE_MMOL


@dataclass(frozen=True, slots=True)
class GlucoseReading:
    """One glucose value in mg/dL (converted, not rounded), when (in UTC) and its source."""

    at: datetime
    mg_dl: float
    source: uuid.UUID


@dataclass(frozen=True, slots=True)
class Run:
    """A run of sensor readings (sorted by time) and its median interval."""

    readings: tuple[GlucoseReading, ...]
    interval: timedelta


@dataclass(frozen=True, slots=True)
class BandCount:
    """Readings in one band, and their share of all readings (None without readings)."""

    band: str
    count: int
    share: float | None

    @property
    def minutes_per_day(self) -> float | None:
        """The share as the consensus' time per day, in minutes."""
        return None if self.share is None else self.share * 24 * 60


@dataclass(frozen=True, slots=True)
class GlucoseSummary:
    """Self-measured glucose; GMI is None (``gmi_needs_days`` says why) under 10 days."""

    readings: int
    days: int
    mean: float | None
    sd: float | None
    cv: float | None
    gmi: float | None
    gmi_needs_days: int | None
    bands: tuple[BandCount, ...]


@dataclass(frozen=True, slots=True)
class AgpSlot:
    """One 15-minute slot of local time: its readings and percentiles (None without)."""

    start: time
    readings: int
    percentiles: tuple[float, ...] | None


@dataclass(frozen=True, slots=True)
class CgmSummary:
    """Continuous glucose over the window; ``sufficient`` says whether the figures count."""

    readings: int
    days: int
    captured_share: float | None
    sufficient: bool
    mean: float
    sd: float
    cv: float | None
    gmi: float
    bands: tuple[BandCount, ...]
    agp: tuple[AgpSlot, ...]


def glucose_reading(point: Point) -> GlucoseReading | None:
    """The point as a reading in mg/dL, or None when it is not glucose in a known unit."""
    factor = _UNITS.get(point.unit)
    if factor is None or point.code not in _CODES:
        return None
    return GlucoseReading(point.at.astimezone(UTC), point.value * factor, point.source)


def band(mg_dl: float) -> str:
    """The consensus band of a value: rounded to a whole mg/dL (halves up), then banded."""
    return BANDS[bisect.bisect_left(_BAND_TOPS, math.floor(mg_dl + 0.5))]


def gmi(mean_mg_dl: float) -> float:
    """The glucose management indicator (%) of a mean in mg/dL."""
    return 3.31 + 0.02392 * mean_mg_dl


def percentile(ordered: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of sorted values, interpolating linearly as numpy does."""
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def split_runs(readings: Iterable[GlucoseReading]) -> tuple[list[GlucoseReading], list[Run]]:
    """Split readings into the self-measured ones and the sensor runs of each source."""
    by_source: dict[uuid.UUID, list[GlucoseReading]] = defaultdict(list)
    for reading in readings:
        by_source[reading.source].append(reading)
    single: list[GlucoseReading] = []
    runs: list[Run] = []
    for own in by_source.values():
        own.sort(key=lambda r: r.at)
        for run in _runs(own):
            if len(run) >= CGM_MIN_RUN:
                runs.append(Run(tuple(run), _median_gap(run)))
            else:
                single.extend(run)
    return single, runs


def _runs(ordered: Sequence[GlucoseReading]) -> Iterable[list[GlucoseReading]]:
    run: list[GlucoseReading] = []
    for reading in ordered:
        if run and reading.at - run[-1].at > CGM_MAX_GAP:
            yield run
            run = []
        run.append(reading)
    if run:
        yield run


def _median_gap(run: Sequence[GlucoseReading]) -> timedelta:
    gaps = sorted(b.at - a.at for a, b in pairwise(run))
    middle = len(gaps) // 2
    return gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2


def _spread(values: Sequence[float]) -> tuple[float, float, float | None]:
    """Mean, population SD and coefficient of variation of at least one value."""
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return mean, sd, (sd / mean if mean else None)


def _bands(values: Sequence[float]) -> tuple[BandCount, ...]:
    counts = dict.fromkeys(BANDS, 0)
    for value in values:
        counts[band(value)] += 1
    total = len(values)
    return tuple(BandCount(b, n, n / total if total else None) for b, n in counts.items())


def summarise_glucose(readings: Sequence[GlucoseReading], *, zone: ZoneInfo) -> GlucoseSummary:
    """Summarise self-measured readings (all in the window)."""
    values = [r.mg_dl for r in readings]
    days = len({r.at.astimezone(zone).date() for r in readings})
    bands = _bands(values)
    if not values:
        return GlucoseSummary(0, 0, None, None, None, None, GMI_MIN_DAYS, bands)
    mean, sd, cv = _spread(values)
    enough = days >= GMI_MIN_DAYS
    return GlucoseSummary(
        readings=len(values),
        days=days,
        mean=mean,
        sd=sd,
        cv=cv,
        gmi=gmi(mean) if enough else None,
        gmi_needs_days=None if enough else GMI_MIN_DAYS,
        bands=bands,
    )


def summarise_cgm(
    runs: Sequence[Run], *, start: datetime, end: datetime, days: int, zone: ZoneInfo
) -> CgmSummary | None:
    """Summarise the sensor readings of the runs in [start, end], a window of ``days`` days;
    None when there are none."""
    inside = [[r for r in run.readings if start <= r.at <= end] for run in runs]
    readings = [r for part in inside for r in part]
    if not readings:
        return None
    # In UTC: the difference of two times of one zone would be a wall-clock one.
    length = end.astimezone(UTC) - start.astimezone(UTC)
    worn = sum(
        (run.interval * len(part) for run, part in zip(runs, inside, strict=True)), timedelta()
    )
    captured = worn / length if length else None
    enough = captured is not None and captured >= SUFFICIENT_SHARE and days >= SUFFICIENT_DAYS
    values = [r.mg_dl for r in readings]
    mean, sd, cv = _spread(values)
    local = [r.at.astimezone(zone) for r in readings]
    return CgmSummary(
        readings=len(readings),
        days=len({t.date() for t in local}),
        captured_share=captured,
        sufficient=enough,
        mean=mean,
        sd=sd,
        cv=cv,
        gmi=gmi(mean),
        bands=_bands(values),
        agp=_profile(local, values),
    )


def _profile(local: Sequence[datetime], values: Sequence[float]) -> tuple[AgpSlot, ...]:
    """The ambulatory glucose profile: percentiles of each 15-minute slot of local time."""
    slots: list[list[float]] = [[] for _ in range(SLOTS)]
    for moment, value in zip(local, values, strict=True):
        slots[(moment.hour * 60 + moment.minute) // SLOT_MINUTES].append(value)
    profile = []
    for index, slot in enumerate(slots):
        slot.sort()
        figures = tuple(percentile(slot, p) for p in PERCENTILES) if slot else None
        minutes = index * SLOT_MINUTES
        profile.append(AgpSlot(time(minutes // 60, minutes % 60), len(slot), figures))
    return tuple(profile)
