"""Geography under Safe Harbor: the state may stay, a ZIP code only as its first 3 digits."""

from __future__ import annotations

import functools
import re
from importlib import resources

__all__ = ["restricted_zip3", "zip3"]

_US_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")


def zip3(postal_code: str | None) -> str | None:
    """The releasable part of a US ZIP code: its first 3 digits, or 000 in small areas.

    Anything that is not a US ZIP code releases nothing (None).
    """
    if not postal_code:
        return None
    match = _US_ZIP.fullmatch(postal_code.strip())
    if match is None:
        return None
    prefix = match.group(1)[:3]
    return "000" if prefix in restricted_zip3() else prefix


@functools.cache
def restricted_zip3() -> frozenset[str]:
    """The ZIP3 areas of 20,000 people or fewer (packaged data, with its source)."""
    text = resources.files(__package__).joinpath("restricted_zip3.csv").read_text("utf-8")
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return frozenset(row for row in rows[1:] if row.isdigit() and len(row) == 3)
