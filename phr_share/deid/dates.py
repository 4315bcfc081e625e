"""HL7 timestamps (TS) as Safe Harbor sees them: a year may stay, nothing finer may."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Timestamp", "age_in_years", "parse_timestamp"]

_TS = re.compile(
    r"(?P<year>\d{4})(?P<month>\d{2})?(?P<day>\d{2})?(?P<time>\d{2,6}(?:\.\d+)?)?(?P<zone>[+-]\d{4})?"
)


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A parsed HL7 timestamp: year always, month and day when given, the rest as text."""

    year: int
    month: int | None = None
    day: int | None = None
    time: str = ""
    zone: str = ""

    @property
    def date(self) -> date | None:
        """The calendar date, when the timestamp is precise to the day."""
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    def shifted(self, days: int) -> str:
        """The timestamp moved by ``days``, at its own precision."""
        if self.month is None:
            return f"{self.year:04d}"
        try:
            anchor = date(self.year, self.month, self.day or 15) + timedelta(days=days)
        except (ValueError, OverflowError):  # a placeholder such as 0001-01-01
            return f"{self.year:04d}"
        if self.day is None:
            return f"{anchor.year:04d}{anchor.month:02d}"
        return f"{anchor:%Y%m%d}{self.time}{self.zone}"


def parse_timestamp(value: str) -> Timestamp | None:
    """Read an HL7 TS value; None when it is not one (or names an impossible date)."""
    match = _TS.fullmatch(value.strip())
    if match is None:
        return None
    parts = match.groupdict()
    stamp = Timestamp(
        int(parts["year"]),
        int(parts["month"]) if parts["month"] else None,
        int(parts["day"]) if parts["day"] else None,
        parts["time"] or "",
        parts["zone"] or "",
    )
    try:
        if stamp.month is not None:
            date(stamp.year, stamp.month, stamp.day or 1)
    except ValueError:
        return None
    return stamp


def age_in_years(birth: Timestamp, on: date) -> int:
    """Age on a day; with only a birth year or month known, the oldest it could be."""
    if birth.month is None:
        return on.year - birth.year
    if birth.day is None:
        return on.year - birth.year - (on.month < birth.month)
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
