"""Builders of series points for the tests: local times in New York, stored in UTC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from phr_share.series.points import DIASTOLIC, HEIGHT, SYSTOLIC, WEIGHT, Point

NY = ZoneInfo("America/New_York")
SOURCE = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000002")
MG = "2339-0"
MMOL = "15074-8"


def local(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    *,
    zone: ZoneInfo = NY,
) -> datetime:
    """A local wall time in ``zone`` (New York by default), as an aware UTC datetime."""
    wall = datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)
    return wall.astimezone(UTC)


def point(code: str, value: float, unit: str, at: datetime, source: uuid.UUID = SOURCE) -> Point:
    """One point of the vital-signs kind."""
    return Point(code, value, unit, at, source, "vital-signs")


def bp(at: datetime, systolic: float, diastolic: float, source: uuid.UUID = SOURCE) -> list[Point]:
    """A complete blood pressure reading: its systolic and diastolic points."""
    return [
        point(SYSTOLIC, systolic, "mm[Hg]", at, source),
        point(DIASTOLIC, diastolic, "mm[Hg]", at, source),
    ]


def glucose(at: datetime, value: float, unit: str = "mg/dL", source: uuid.UUID = SOURCE) -> Point:
    """A glucose point, coded for its unit."""
    return point(MMOL if unit == "mmol/L" else MG, value, unit, at, source)


def weight(at: datetime, value: float, unit: str = "kg") -> Point:
    """A body weight point."""
    return point(WEIGHT, value, unit, at)


def height(at: datetime, value: float, unit: str = "cm") -> Point:
    """A body height point."""
    return point(HEIGHT, value, unit, at)
