"""Flat records for analytics: one row per coded clinical statement, no identifier in it."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from phr_share.deid.dates import age_in_years, parse_timestamp
from phr_share.deid.policy import DateMode
from phr_share.deid.safe_harbor import SafeHarbor
from phr_share.models import LOINC, RXNORM, SNOMED, ClinicalEntry

__all__ = ["QUASI_IDENTIFIERS", "RECORD_FIELDS", "FlatRecord", "age_band", "flat_record"]

QUASI_IDENTIFIERS = ("age_band", "sex", "zip3", "year")
AGE_UNITS = frozenset({"a", "yr", "year", "years"})
_NARRATIVE_LIMIT = 500
# What each field of a published record is: the data dictionary shown to researchers.
RECORD_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("kind", "text", "the kind of record part it came from, e.g. physical-signs"),
    ("pseudonym", "text", "the same for every record of one patient in one release; not an id"),
    ("age_band", "text or null", "the patient's age at the time, in five years (40-44); 90+"),
    ("sex", "text", "as the record states it (F, M, UN)"),
    ("zip3", "text or null", "first three digits of the ZIP code; 000 for small areas"),
    ("year", "text or null", "the year measured, or a period (2015-2019) when widened"),
    ("date", "date", "only in a date-shift release: the day, moved by a per-patient offset"),
    ("statement", "text", "what the statement is: observation, medication, problem..."),
    ("codes", "list of text", "every code of the statement, as system|code"),
    ("loinc", "text or null", "its LOINC code (measurements and results)"),
    ("snomed", "text or null", "its SNOMED CT code (problems, findings)"),
    ("rxnorm", "text or null", "its RxNorm code (medicines)"),
    ("value", "number or null", "the value measured, as a number"),
    ("value_text", "text or null", "a value that is no number, such as 90+ for an age"),
    ("unit", "text or null", "the value's UCUM unit, e.g. mm[Hg], mg/dL"),
    ("narrative", "text or null", "the statement's own words, de-identified, at most 500"),
)


@dataclass(frozen=True, slots=True)
class FlatRecord:
    """A de-identified clinical fact; ``year`` may be widened to a period by k-anonymity."""

    kind: str
    pseudonym: str
    age_band: str | None
    sex: str
    zip3: str | None
    year: str | None
    date: str | None  # only in date-shift mode: the shifted day, ISO 8601
    statement: str
    codes: tuple[str, ...]  # "system|code" for every code of the statement
    loinc: str | None
    snomed: str | None
    rxnorm: str | None
    value: str | None
    unit: str | None
    narrative: str | None

    def as_json(self) -> dict[str, Any]:
        """The record as a JSON object, typed: codes as a list, ``value`` a number where
        it is one (else null, and the text, such as "90+", in ``value_text``), ``date``
        only in date-shift mode (the year is always there)."""
        row = asdict(self)
        row["codes"] = list(self.codes)
        number = _as_number(self.value)
        row["value"] = number
        row["value_text"] = self.value if number is None else None
        if self.date is None:
            del row["date"]
        return {name: row[name] for name, _, _ in RECORD_FIELDS if name in row}

    @property
    def measured(self) -> bool:
        """True when it says something a study can count: a code or a value."""
        return bool(self.codes) or self.value is not None

    @property
    def quasi_identifiers(self) -> tuple[str | None, ...]:
        """The values k-anonymity groups on."""
        return (self.age_band, self.sex, self.zip3, self.year)


def flat_record(
    kind: str, entry: ClinicalEntry, narrative: str | None, rules: SafeHarbor
) -> FlatRecord:
    """The record of one clinical statement of a patient, ages and dates generalised."""
    identity, policy = rules.identity, rules.policy
    when = parse_timestamp(entry.time) if entry.time else None
    event_day = when.date if when is not None else None
    shifted = rules.timestamp(entry.time) if entry.time and when is not None else None
    by_system = {code.system: code.code for code in reversed(entry.codes)}
    return FlatRecord(
        kind=kind,
        pseudonym=rules.pseudonym,
        age_band=_age_band_at(rules, event_day or policy.as_of),
        sex=identity.sex,
        zip3=rules.zip3,
        year=shifted[:4] if shifted else None,
        date=_iso(shifted) if policy.dates is DateMode.SHIFT and shifted else None,
        statement=entry.statement,
        codes=tuple(f"{code.system}|{code.code}" for code in entry.codes),
        loinc=by_system.get(LOINC),
        snomed=by_system.get(SNOMED),
        rxnorm=by_system.get(RXNORM),
        value=_capped_age(entry.value, entry.unit),
        unit=entry.unit,
        narrative=narrative[:_NARRATIVE_LIMIT] if narrative else None,
    )


_NUMBER = re.compile(r"-?\d{1,12}(?:\.\d{1,12})?")


def _as_number(value: str | None) -> int | float | None:
    if value is None or not _NUMBER.fullmatch(value.strip()):
        return None
    number = float(value)
    return int(number) if number.is_integer() and "." not in value else number


def age_band(age: int, width: int = 5) -> str:
    """An age as a band of ``width`` years ("40-44"); 90 and over is always "90+"."""
    if age >= 90:
        return "90+"
    low = max(age, 0) // width * width
    return f"{low}-{min(low + width - 1, 89)}"


def _age_band_at(rules: SafeHarbor, day: date) -> str | None:
    if rules.birth is None:
        return None
    age = age_in_years(rules.birth, day)
    if rules.over_89:
        return "90+"
    return age_band(age) if age >= 0 else None


def _capped_age(value: str | None, unit: str | None) -> str | None:
    # An age of 90 or more (in years) is released as "90+", as in the XML.
    if value is None or (unit or "").lower() not in AGE_UNITS:
        return value
    try:
        return "90+" if float(value) >= 90 else value
    except ValueError:
        return None


def _iso(stamp: str) -> str | None:
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if len(stamp) >= 8 else None
