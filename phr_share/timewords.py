"""Times as a person reads them, in a given time zone, never labelled UTC: "3 Dec 2026",
"14:30", "3 Dec 2026, 14:30". Pure; the pages (through ``web/local_time.py``) and the
visit report both say times this way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

__all__ = ["clock_words", "day_words", "when_words"]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _in(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` in ``zone`` (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def day_words(moment: datetime | date, zone: ZoneInfo) -> str:
    """The day of ``moment`` in ``zone`` ("3 Dec 2026"); a date is shown as it is."""
    shown = _in(moment, zone) if isinstance(moment, datetime) else moment
    return f"{shown.day} {_MONTHS[shown.month - 1]} {shown.year}"


def clock_words(moment: datetime, zone: ZoneInfo) -> str:
    """The time of day of ``moment`` in ``zone`` ("14:30")."""
    return _in(moment, zone).strftime("%H:%M")


def when_words(moment: datetime, zone: ZoneInfo) -> str:
    """The day and time of ``moment`` in ``zone`` ("3 Dec 2026, 14:30")."""
    return f"{day_words(moment, zone)}, {clock_words(moment, zone)}"
