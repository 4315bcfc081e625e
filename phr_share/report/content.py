"""What a visit report holds, as plain data already in words: the renderer only draws it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Block",
    "ChartLine",
    "ReportChart",
    "ReportNote",
    "ReportPart",
    "ReportSection",
    "VisitReport",
]


class Block(Protocol):
    """A block of a section's narrative: ``paragraph`` (text), ``list`` (items) or
    ``table`` (header, rows); the C-CDA reader's blocks are these, structurally."""

    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def items(self) -> Sequence[str]: ...
    @property
    def header(self) -> Sequence[str]: ...
    @property
    def rows(self) -> Sequence[Sequence[str]]: ...


@dataclass(frozen=True, slots=True)
class ChartLine:
    """One line of a chart: its label and points, x in seconds from the chart's start.
    ``dashed`` tells it from the other line of the chart in black and white."""

    label: str
    points: tuple[tuple[float, float], ...]
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class ReportChart:
    """A chart: title, unit, lines over ``span`` seconds, the x ticks (seconds, words),
    target lines to stay under (value, words) and a range to stay in (low, high, words).
    A line is not drawn across a gap longer than ``gap`` seconds."""

    title: str
    unit: str
    span: float
    ticks: tuple[tuple[float, str], ...]
    lines: tuple[ChartLine, ...]
    targets: tuple[tuple[float, str], ...] = ()
    band: tuple[float, float, str] | None = None
    gap: float = 30 * 86400
    words: str = ""  # the chart in a sentence, for whoever cannot see it


@dataclass(frozen=True, slots=True)
class ReportPart:
    """One part of a summary: its heading, what it rests on, its lines."""

    title: str
    basis: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportSection:
    """A section of the record as read: its title and narrative blocks."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class ReportNote:
    """A note with its time in words (and who wrote it, when known)."""

    when: str
    text: str


@dataclass(frozen=True, slots=True)
class SensorGlucose:
    """Continuous glucose as the consensus report draws it: the profile by time of day
    (minutes after midnight, then the 5th, 25th, 50th, 75th and 95th percentiles in
    mg/dL), the stacked time-in-range bar (name, limits, share, percent; top band
    first), the goals as sentences, and what it rests on in words."""

    title: str
    profile: tuple[tuple[int, float, float, float, float, float], ...]
    bar: tuple[tuple[str, str, float, str], ...]
    goals: tuple[str, ...]
    words: str


@dataclass(frozen=True, slots=True)
class VisitReport:
    """Everything a visit report shows, in the reader's words and time zone.

    ``scope`` is what the first page says about what is left out (empty for the
    patient's own report); each ``missing`` entry names a part the reader may not see."""

    patient: str
    born: str | None
    period: str
    made: str
    scope: tuple[str, ...]
    summaries: tuple[tuple[str, tuple[ReportPart, ...]], ...]
    charts: tuple[ReportChart, ...]
    record: tuple[ReportSection, ...]
    clinician_notes: tuple[tuple[str, ReportSection], ...]
    own_notes: tuple[ReportNote, ...]
    missing: frozenset[str] = frozenset()
    own: bool = True
    sensor: SensorGlucose | None = None
