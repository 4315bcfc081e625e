"""How de-identification is done: the secret, the date rule and the day it is done on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from phr_share.deid.pseudonym import MIN_SECRET_BYTES
from phr_share.errors import ConfigurationError

__all__ = ["DateMode", "DeidPolicy"]


class DateMode(StrEnum):
    """Safe Harbor keeps only the year; the alternative shifts every date of a patient."""

    YEAR = "year"
    SHIFT = "shift"


@dataclass(frozen=True, slots=True)
class DeidPolicy:
    """Secret for pseudonyms, date shifts and replaced ids; ``as_of`` is today's date."""

    secret: bytes
    as_of: date
    dates: DateMode = DateMode.YEAR

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"the de-identification secret must be at least {MIN_SECRET_BYTES} bytes"
            )
