"""One parser for a value that must be one of a fixed set (a purpose, a level, a kind...).

Forms, JSON bodies and query strings all name their choices through it, so a bad value
is always a 422 that lists what is allowed, never a ValueError escaping as a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo, available_timezones

from phr_share.errors import InvalidInput

__all__ = ["parse_choice", "parse_choices", "time_zone", "zone_names"]

T = TypeVar("T", bound=str)


def parse_choice(choices: Iterable[T], value: object, field: str) -> T:
    """The choice spelled ``value`` (an enum type or any strings); InvalidInput naming
    ``field`` and every allowed spelling for anything else."""
    allowed = list(choices)
    for choice in allowed:
        if isinstance(value, str) and value == choice:
            return choice
    raise InvalidInput(f"{field} is one of: {', '.join(allowed)}")


def parse_choices(choices: Iterable[T], values: object, field: str) -> set[T]:
    """Several choices from a list of spellings; InvalidInput as :func:`parse_choice`
    for any one, or when ``values`` is not a list."""
    if not isinstance(values, list | tuple):
        raise InvalidInput(f"{field} is a list")
    allowed = list(choices)
    return {parse_choice(allowed, v, field) for v in values}


def time_zone(name: str) -> ZoneInfo:
    """An IANA time zone ("Europe/London"); InvalidInput for any other name."""
    name = name.strip()
    if name not in zone_names():
        raise InvalidInput("time_zone is an IANA time zone name, such as Europe/London")
    return ZoneInfo(name)


@cache
def zone_names() -> frozenset[str]:
    """The zone database's names: a path-like name never reaches the file system."""
    return frozenset(available_timezones())
