"""What a researcher asks of a release: one kind, records since a date, an age range.

Records carry age bands, never ages: five-year bands ("40-44"), wider ones where the
k-anonymity gate generalised them ("40-49"), and "90+". An age range keeps a record
only when its whole band lies inside the range, so a query for 40-64 never returns a
record that may be about a 38-year-old; records without an age band are left out of
any query that names ages. Records without a date or a year are kept by ``since``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from phr_share.choices import parse_choice
from phr_share.errors import InvalidInput
from phr_share.models import SegmentKind

__all__ = ["AgeRange", "RecordQuery", "last_year"]

_RANGE = re.compile(r"^\s*(?P<low>[0-9]{1,3})\s*(?:(?P<plus>\+)|-\s*(?P<high>[0-9]{1,3}))\s*$")
_PERIOD = re.compile(r"^(?P<first>[0-9]{4})(?:-(?P<last>[0-9]{4}))?$")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AGES_HINT = "ages are a range such as 40-64, or an open one such as 65+"


@dataclass(frozen=True, slots=True)
class AgeRange:
    """Ages from ``low`` to ``high`` inclusive; ``high`` None means no upper bound."""

    low: int
    high: int | None = None

    @classmethod
    def parse(cls, text: str) -> AgeRange:
        """Parse "40-64" or "65+"; raises InvalidInput for anything else."""
        bounds = _bounds(text)
        if bounds is None:
            raise InvalidInput(_AGES_HINT)
        low, high = bounds
        if high is not None and high < low:
            raise InvalidInput("an age range goes from the lower age to the higher")
        return cls(low, high)

    def holds(self, band: object) -> bool:
        """Whether every age of a record's band lies in this range."""
        bounds = _bounds(band) if isinstance(band, str) else None
        if bounds is None:
            return False
        low, high = bounds
        if low < self.low:
            return False
        if self.high is None:
            return True
        return high is not None and high <= self.high

    def __str__(self) -> str:
        return f"{self.low}+" if self.high is None else f"{self.low}-{self.high}"


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """A filter over released records; the empty query keeps everything."""

    kind: str | None = None
    since: date | None = None
    ages: AgeRange | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> RecordQuery:
        """A query from request parameters ``kind``, ``since`` and ``ages`` (blank: any).

        Raises InvalidInput naming the parameter that is wrong.
        """
        kind_text, since_text = args.get("kind") or "", args.get("since") or ""
        kind = None
        if kind_text.strip():
            kind = parse_choice(SegmentKind, kind_text, "kind").value
        since = None
        if since_text.strip():
            try:
                # fromisoformat also takes 20260101 and 2026-W01-1: only the one spelling.
                since = date.fromisoformat(since_text) if _DAY.fullmatch(since_text) else None
            except ValueError:
                since = None
            if since is None:
                raise InvalidInput("since is a date, YYYY-MM-DD")
        ages_text = (args.get("ages") or "").strip()
        return cls(kind, since, AgeRange.parse(ages_text) if ages_text else None)

    @property
    def empty(self) -> bool:
        return self.kind is None and self.since is None and self.ages is None

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether a record answers this query (its kind is checked by the caller's
        choice of objects too, but a record's own ``kind`` field is checked here)."""
        if self.kind is not None and record.get("kind", self.kind) != self.kind:
            return False
        if self.ages is not None and not self.ages.holds(record.get("age_band")):
            return False
        return self.since is None or _dated_since(record, self.since)


def _bounds(text: str) -> tuple[int, int | None] | None:
    """The ages of "40-64" or "65+" (None above), or None for anything else."""
    match = _RANGE.match(text)
    if match is None:
        return None
    return int(match["low"]), None if match["plus"] else int(match["high"])


def last_year(period: object) -> int | None:
    """The last year of "2019" or of a generalised period "2015-2019"; None otherwise."""
    match = _PERIOD.match(period) if isinstance(period, str) else None
    return None if match is None else int(match["last"] or match["first"])


def _dated_since(record: Mapping[str, Any], since: date) -> bool:
    day = record.get("date")
    if isinstance(day, str) and day:
        with contextlib.suppress(ValueError):
            return date.fromisoformat(day[:10]) >= since
    year = last_year(record.get("year"))
    return year is None or year >= since.year
