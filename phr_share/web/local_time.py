"""Times as a person reads them: in the signed-in account's time zone, never labelled
UTC ("3 Dec 2026, 14:30"). Templates use them as filters: ``when``, ``day``, ``clock``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from phr_share.timewords import clock_words, day_words, when_words
from phr_share.web.presentation import ReadVisit, visit_sentence
from phr_share.web.security import current_account

__all__ = ["TIME_FILTERS", "local", "zone"]


def zone() -> ZoneInfo:
    """The zone of this request's account (UTC for no account, or one not yet told)."""
    account = current_account()
    return account.zone if account is not None else ZoneInfo("UTC")


def local(moment: datetime) -> datetime:
    """``moment`` in this request's zone (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone())


def _day(moment: datetime | date) -> str:
    return day_words(moment, zone())


def _clock(moment: datetime) -> str:
    return clock_words(moment, zone())


def _when(moment: datetime) -> str:
    return when_words(moment, zone())


def _visit(visit: ReadVisit, who: str) -> str:
    return visit_sentence(visit, who, day=_day(visit.at), clock=_clock(visit.at))


TIME_FILTERS: dict[str, Callable[..., str]] = {
    "when": _when,
    "day": _day,
    "clock": _clock,
    "visit_sentence": _visit,
}
