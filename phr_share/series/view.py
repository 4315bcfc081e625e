"""Chart data for a span of a patient's series: every point, or bins when there are many.

Pure: no I/O, no clock. :func:`chart_view` makes one line per code and unit (glucose in
mmol/L is converted to mg/dL and charted as ``2339-0``). A line with at most ``max_bins``
points in [start, end] keeps them all; a longer one is cut into bins of one round interval,
the smallest of ``INTERVALS`` that covers the span in ``max_bins`` bins or fewer (past the
largest, a multiple of it). Bins are counted from ``start``: bin k holds
[start + k x interval, start + (k + 1) x interval), and the last one also holds ``end``.
Points arrive sorted by time and are walked once, whatever the size of the span.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from phr_share.codes import GLUCOSE, GLUCOSE_CODES, GLUCOSE_MMOL, MG_PER_MMOL, WEIGHT
from phr_share.models import Point
from phr_share.series.weight import KG_PER_LB

__all__ = [
    "GLUCOSE_LINE",
    "INTERVALS",
    "Bin",
    "ChartLine",
    "ChartView",
    "Sample",
    "bin_interval",
    "chart_view",
]

GLUCOSE_LINE = GLUCOSE
_HOUR, _DAY = 3600, 86400
# 1, 5 and 15 minutes, 1 and 6 hours, 1 day, 1 and 4 weeks, 13 and 52 weeks, in seconds.
INTERVALS = (60, 300, 900, _HOUR, 6 * _HOUR, _DAY, 7 * _DAY, 28 * _DAY, 91 * _DAY, 364 * _DAY)
_GLUCOSE = GLUCOSE_CODES | GLUCOSE_MMOL
_ZERO = timedelta()


@dataclass(frozen=True, slots=True)
class Sample:
    """One point at full resolution."""

    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class Bin:
    """The points of one interval: its start, their least, greatest and mean value, count."""

    start: datetime
    low: float
    high: float
    mean: float
    count: int


@dataclass(frozen=True, slots=True)
class ChartLine:
    """One charted line: ``resolution`` is "full" or the bin interval in seconds."""

    code: str
    unit: str
    resolution: Literal["full"] | int
    samples: tuple[Sample, ...] = ()
    bins: tuple[Bin, ...] = ()


@dataclass(frozen=True, slots=True)
class ChartView:
    """The lines of a span, times shown in the patient's zone."""

    start: datetime
    end: datetime
    zone: str
    lines: tuple[ChartLine, ...]

    def to_json(self) -> dict[str, Any]:
        """The view as the web page charts it."""
        zone = ZoneInfo(self.zone)
        return {
            "start": self.start.astimezone(zone).isoformat(),
            "end": self.end.astimezone(zone).isoformat(),
            "lines": [_line_json(line, zone) for line in self.lines],
        }


def _line_json(line: ChartLine, zone: ZoneInfo) -> dict[str, Any]:
    points: list[dict[str, Any]]
    if line.resolution == "full":
        points = [
            {"t": s.at.astimezone(zone).isoformat(), "v": round(s.value, 3)} for s in line.samples
        ]
    else:
        points = [
            {
                "t": b.start.astimezone(zone).isoformat(),
                "min": round(b.low, 3),
                "max": round(b.high, 3),
                "mean": round(b.mean, 3),
                "n": b.count,
            }
            for b in line.bins
        ]
    return {"code": line.code, "unit": line.unit, "resolution": line.resolution, "points": points}


def bin_interval(span: timedelta, max_bins: int) -> int:
    """The smallest round interval (seconds) that covers ``span`` in at most max_bins bins."""
    seconds = span.total_seconds()
    for width in INTERVALS:
        if math.ceil(seconds / width) <= max_bins:
            return width
    return INTERVALS[-1] * math.ceil(seconds / (INTERVALS[-1] * max_bins))


@dataclass(slots=True)
class _Accumulator:
    """A line being read: its first points, and its bins so far."""

    keep: int
    width: timedelta
    last_bin: int
    samples: list[Sample] | None = field(default_factory=list)
    last: timedelta = _ZERO
    bins: list[tuple[int, float, float, float, int]] = field(default_factory=list)
    # The current bin: its index, where the next one starts, and its figures so far.
    index: int = -1
    edge: timedelta = _ZERO
    low: float = 0.0
    high: float = 0.0
    total: float = 0.0
    n: int = 0

    def add(self, at: datetime, offset: timedelta, value: float) -> None:
        """Take the next point (``offset`` from the start); ValueError when out of order."""
        if offset < self.last:
            raise ValueError("points must be sorted by time")
        self.last = offset
        if self.samples is not None:
            self.samples.append(Sample(at, value))
            if len(self.samples) > self.keep:
                self.samples = None
        if offset >= self.edge:
            self._open(offset, value)
        elif value < self.low:
            self.low = value
        elif value > self.high:
            self.high = value
        self.total += value
        self.n += 1

    def _open(self, offset: timedelta, value: float) -> None:
        self.flush()
        self.index = min(offset // self.width, self.last_bin)
        # The last bin also holds the end of the span, whatever lies past its width.
        self.edge = (self.index + 1) * self.width if self.index < self.last_bin else timedelta.max
        self.low = self.high = value

    def flush(self) -> None:
        """Close the current bin."""
        if self.n:
            self.bins.append((self.index, self.low, self.high, self.total / self.n, self.n))
            self.total, self.n = 0.0, 0


def _charted(point: Point) -> tuple[str, str, float]:
    """The line (code, unit) a point is charted on and the factor its value takes there."""
    if point.unit == "mmol/L" and point.code in _GLUCOSE:
        return GLUCOSE_LINE, "mg/dL", MG_PER_MMOL
    # A weight in pounds joins the weights in kg: one line, one axis.
    if point.unit == "[lb_av]" and point.code == WEIGHT:
        return WEIGHT, "kg", KG_PER_LB
    return point.code, point.unit, 1.0


def chart_view(
    points: Sequence[Point], *, start: datetime, end: datetime, zone: ZoneInfo, max_bins: int = 400
) -> ChartView:
    """Chart the points of [start, end]; ValueError for naive or reversed bounds, a max_bins
    under 1, or points out of time order."""
    if start.utcoffset() is None or end.utcoffset() is None or end < start:
        raise ValueError("start and end must be aware, with start not after end")
    if max_bins < 1:
        raise ValueError("max_bins must be at least 1")
    # In UTC: the difference of two times of one zone would be a wall-clock one.
    base = start.astimezone(UTC)
    span = end.astimezone(UTC) - base
    width = timedelta(seconds=bin_interval(span, max_bins))
    last_bin = max(math.ceil(span / width), 1) - 1
    lines: dict[tuple[str, str], _Accumulator] = {}
    # (code, unit) of a point -> the line it is charted on and the factor to its unit there.
    routes: dict[tuple[str, str], tuple[_Accumulator, float]] = {}
    for point in points:
        offset = point.at - base
        if offset < _ZERO or offset > span:
            continue
        route = routes.get((point.code, point.unit))
        if route is None:
            code, unit, factor = _charted(point)
            line = lines.setdefault((code, unit), _Accumulator(max_bins, width, last_bin))
            route = (line, factor)
            routes[(point.code, point.unit)] = route
        route[0].add(point.at, offset, point.value * route[1])
    charted = tuple(_finish(key, lines[key], base, width) for key in sorted(lines))
    return ChartView(start, end, zone.key, charted)


def _finish(
    key: tuple[str, str], line: _Accumulator, base: datetime, width: timedelta
) -> ChartLine:
    if line.samples is not None:
        return ChartLine(key[0], key[1], "full", samples=tuple(line.samples))
    line.flush()
    bins = tuple(Bin(base + k * width, low, high, mean, n) for k, low, high, mean, n in line.bins)
    return ChartLine(key[0], key[1], int(width.total_seconds()), bins=bins)
