"""Geography under Safe Harbor: the state may stay, a ZIP code only as its first 3 digits."""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources

__all__ = ["generalise_zip_codes", "restricted_zip3", "zip3", "zip_token"]

_US_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")
# A five-digit run: the cheap test that tells when a text may hold a ZIP code at all.
_FIVE_DIGITS = re.compile(r"(?<!\d)\d{5}(?!\d)")
# A city's words; a full stop only after an abbreviation ("St. Louis"), never one that
# ends the sentence before ("Referred to Dr. Souza. Portland OR 97005").
_CITY_WORD = r"(?:(?:St|Ste|Ft|Mt|Pt)\.|[A-Z][\w'\u2019-]*)"


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


def zip_token(postal_code: str) -> str:
    """A ZIP code written in text, as it is released: ``[ZIP 455]``, ``[ZIP 000]``."""
    return f"[ZIP {zip3(postal_code) or '000'}]"


def generalise_zip_codes(text: str) -> tuple[str, int]:
    """The text with each ZIP code after a state or a ZIP label cut to its ZIP3 (and the
    city written before the state removed), and how many parts were removed."""
    if _FIVE_DIGITS.search(text) is None:
        return text, 0
    removed = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal removed
        removed += 1
        if match.group("label") is not None:
            return match.group("label") + zip_token(match.group("labelled"))
        city = ""
        if match.group("city") is not None:
            removed += 1
            city = "[ADDRESS]" + match.group("city_sep")
        return city + match.group("state") + match.group("state_sep") + zip_token(match["zip"])

    return _zip_in_prose().sub(replace, text), removed


@functools.cache
def _zip_in_prose() -> re.Pattern[str]:
    names, codes, short = [], [], []
    for row in _states():
        names.append(r"\s+".join(re.escape(word) for word in row["name"].split()))
        codes.append(row["code"])
        if row["ap"]:
            short.append(re.escape(row["ap"]).replace(r"\.", r"\.\s?"))
    state = (
        rf"(?i:\b(?:{'|'.join(names)})\b)|(?<![\w.])(?:{'|'.join(short)})"
        rf"|\b(?:{'|'.join(codes)})\b"
    )
    city = (
        rf"(?P<city>(?<![\w'\u2019.-])(?:{_CITY_WORD}\s+){{0,2}}{_CITY_WORD})(?P<city_sep>,\s*|\s+)"
    )
    after_state = rf"(?:{city})?(?P<state>{state})(?P<state_sep>\s*,?\s*)(?P<zip>\d{{5}})"
    label = r"(?P<label>\b(?i:zip(?:\s*code)?|postal\s*code|post\s*code)\s*(?i:[:#]|no\.?)?\s*)"
    plus4 = r"(?:-\d{4})?(?!\d)"
    return re.compile(f"(?:{after_state}|{label}(?P<labelled>\\d{{5}})){plus4}")


@functools.cache
def _states() -> tuple[dict[str, str], ...]:
    text = resources.files(__package__).joinpath("us_states.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(csv.DictReader(lines))


@functools.cache
def restricted_zip3() -> frozenset[str]:
    """The ZIP3 areas of 20,000 people or fewer (packaged data, with its source)."""
    text = resources.files(__package__).joinpath("restricted_zip3.csv").read_text("utf-8")
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return frozenset(row for row in rows[1:] if row.isdigit() and len(row) == 3)
