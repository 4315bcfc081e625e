"""Home readings entered by a patient: the form's fields, checked one by one.

:func:`parse_readings` turns the raw strings of the web form (or the CLI) into
:class:`Readings`, collecting one message per bad field; messages never repeat the
value that was entered. :mod:`phr_share.ccda.readings_cda` makes a CDA document of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from phr_share.errors import InvalidReadings
from phr_share.models import Mood

__all__ = [
    "FORM_MEASURES",
    "MOOD_LABELS",
    "RELATIONS",
    "XML_UNSAFE",
    "FamilyCondition",
    "FormUnit",
    "Mood",
    "Quantity",
    "Readings",
    "parse_readings",
]

_NUMBER = re.compile(r"\d{1,5}(?:\.\d{1,3})?")
# str.isdigit() is true for "²", which int() refuses: whole numbers are ASCII digits.
_WHOLE = re.compile(r"[0-9]{1,5}")
# Characters XML 1.0 cannot hold: lxml refuses them in text.
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# What the form shows for each point of the scale.
MOOD_LABELS: dict[Mood, str] = {
    Mood.VERY_LOW: "Very low",
    Mood.LOW: "Low",
    Mood.NEUTRAL: "So-so",
    Mood.GOOD: "Good",
    Mood.VERY_GOOD: "Very good",
}


# Family relation as typed on the form -> HL7 RoleCode.
RELATIONS: dict[str, str] = {
    "mother": "MTH",
    "father": "FTH",
    "sister": "SIS",
    "brother": "BRO",
    "daughter": "DAU",
    "son": "SON",
    "grandmother": "GRMTH",
    "grandfather": "GRFTH",
    "aunt": "AUNT",
    "uncle": "UNCLE",
    "cousin": "COUSN",
    "half-sister": "HSIS",
    "half-brother": "HBRO",
}


@dataclass(frozen=True, slots=True)
class Quantity:
    """A measured value and its UCUM unit."""

    value: Decimal
    unit: str


@dataclass(frozen=True, slots=True)
class FamilyCondition:
    """A condition of a relative: HL7 RoleCode of the relation, and the condition's name."""

    relation: str
    condition: str


@dataclass(frozen=True, slots=True)
class Readings:
    """One sitting of home readings; every measurement is optional, one is required."""

    measured_at: datetime
    systolic: Quantity | None = None
    diastolic: Quantity | None = None
    heart_rate: Quantity | None = None
    glucose: Quantity | None = None
    weight: Quantity | None = None
    height: Quantity | None = None
    pain: int | None = None
    mood: Mood | None = None
    diet: str | None = None
    activity_minutes: int | None = None
    activity: str | None = None
    family_history: tuple[FamilyCondition, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FormUnit:
    """A unit a measure may be entered in: its UCUM code, the word a person reads, and
    the plausible range (the browser's min/max and the server's check are both this)."""

    code: str
    label: str
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class _Measure:
    label: str
    units: tuple[FormUnit, ...]  # the first is the default

    def unit(self, spelled: str) -> FormUnit | None:
        """The unit given by its UCUM code or by the word the form shows."""
        return next((u for u in self.units if spelled in (u.code, u.label)), None)


def _units(*rows: tuple[str, str, str, str]) -> tuple[FormUnit, ...]:
    return tuple(
        FormUnit(code, label, Decimal(low), Decimal(high)) for code, label, low, high in rows
    )


# The one table of what the readings form takes: field -> measure and units.
FORM_MEASURES: dict[str, _Measure] = {
    "systolic": _Measure("systolic pressure", _units(("mm[Hg]", "mmHg", "50", "300"))),
    "diastolic": _Measure("diastolic pressure", _units(("mm[Hg]", "mmHg", "20", "200"))),
    "heart_rate": _Measure("heart rate", _units(("/min", "beats/min", "20", "300"))),
    "glucose": _Measure(
        "glucose", _units(("mg/dL", "mg/dL", "10", "1500"), ("mmol/L", "mmol/L", "0.5", "85"))
    ),
    "weight": _Measure(
        "weight", _units(("kg", "kg", "0.5", "500"), ("[lb_av]", "lb", "1", "1100"))
    ),
    "height": _Measure("height", _units(("cm", "cm", "30", "272"), ("[in_i]", "in", "12", "107"))),
}
_MAX_RELATIVES = 20


def parse_readings(form: Mapping[str, str], now: datetime) -> Readings:
    """Check the form's fields; raises InvalidReadings with one message per bad field.

    Fields: ``measured_at`` (ISO 8601, default ``now``), ``systolic``, ``diastolic``,
    ``heart_rate``, ``glucose`` (+ ``glucose_unit``), ``weight`` (+ ``weight_unit``),
    ``height`` (+ ``height_unit``), ``pain`` (0-10), ``mood``, ``diet``,
    ``activity_minutes``, ``activity``, ``family_history`` (lines "relation: condition")
    and ``note``.
    """
    errors: dict[str, str] = {}
    readings = Readings(
        measured_at=_measured_at(form, now, errors),
        systolic=_quantity(form, "systolic", errors),
        diastolic=_quantity(form, "diastolic", errors),
        heart_rate=_quantity(form, "heart_rate", errors),
        glucose=_quantity(form, "glucose", errors),
        weight=_quantity(form, "weight", errors),
        height=_quantity(form, "height", errors),
        pain=_integer(form, "pain", 0, 10, errors),
        mood=_mood(form, errors),
        diet=_text(form, "diet", 2000, errors),
        activity_minutes=_integer(form, "activity_minutes", 0, 1440, errors),
        activity=_text(form, "activity", 200, errors),
        family_history=_family(form, errors),
        note=_text(form, "note", 5000, errors),
    )
    _check_pressure(readings, errors)
    if not errors and readings == Readings(measured_at=readings.measured_at):
        errors["form"] = "enter at least one reading"
    if errors:
        raise InvalidReadings(errors)
    return readings


def _field(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _measured_at(form: Mapping[str, str], now: datetime, errors: dict[str, str]) -> datetime:
    raw = _field(form, "measured_at")
    if not raw:
        return now
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        errors["measured_at"] = "must be a date and time such as 2026-03-01T08:30"
        return now
    if when.tzinfo is None:
        when = when.replace(tzinfo=now.tzinfo or UTC)
    if when > now + timedelta(minutes=5):
        errors["measured_at"] = "cannot be in the future"
    elif when.year < 1900:
        errors["measured_at"] = "must be after 1900"
    return when


def _quantity(form: Mapping[str, str], name: str, errors: dict[str, str]) -> Quantity | None:
    raw = _field(form, name)
    if not raw:
        return None
    measure = FORM_MEASURES[name]
    unit = measure.unit(_field(form, f"{name}_unit") or measure.units[0].code)
    if unit is None:
        # Shown beside the number: the unit's own select may not be on the form.
        errors[name] = f"the unit must be one of {', '.join(u.label for u in measure.units)}"
        return None
    if not _NUMBER.fullmatch(raw):
        errors[name] = f"{measure.label} must be a number such as 120 or 72.5"
        return None
    value = Decimal(raw)
    if not unit.low <= value <= unit.high:
        errors[name] = f"{measure.label} must be between {unit.low} and {unit.high} {unit.label}"
        return None
    return Quantity(value, unit.code)


def _integer(
    form: Mapping[str, str], name: str, low: int, high: int, errors: dict[str, str]
) -> int | None:
    raw = _field(form, name)
    if not raw:
        return None
    if not _WHOLE.fullmatch(raw) or not low <= int(raw) <= high:
        errors[name] = f"must be a whole number from {low} to {high}"
        return None
    return int(raw)


def _mood(form: Mapping[str, str], errors: dict[str, str]) -> Mood | None:
    raw = _field(form, "mood")
    if not raw:
        return None
    try:
        return Mood(raw)
    except ValueError:
        errors["mood"] = f"must be one of {', '.join(m.value for m in Mood)}"
        return None


def _text(form: Mapping[str, str], name: str, limit: int, errors: dict[str, str]) -> str | None:
    raw = _field(form, name)
    if not raw:
        return None
    if len(raw) > limit:
        errors[name] = f"must be at most {limit} characters"
        return None
    if XML_UNSAFE.search(raw):
        errors[name] = "contains control characters that cannot be stored"
        return None
    return raw


def _family(form: Mapping[str, str], errors: dict[str, str]) -> tuple[FamilyCondition, ...]:
    lines = [line.strip() for line in _field(form, "family_history").splitlines() if line.strip()]
    if len(lines) > _MAX_RELATIVES:
        errors["family_history"] = f"at most {_MAX_RELATIVES} lines"
        return ()
    conditions = []
    for number, line in enumerate(lines, start=1):
        relation, sep, condition = (part.strip() for part in line.partition(":"))
        role = RELATIONS.get(relation.lower())
        if not sep or role is None or not condition:
            errors["family_history"] = (
                f"line {number}: write 'relation: condition', relation one of "
                + ", ".join(RELATIONS)
            )
            return ()
        if len(condition) > 200 or XML_UNSAFE.search(condition):
            errors["family_history"] = (
                f"line {number}: condition must be plain text, at most 200 characters"
            )
            return ()
        conditions.append(FamilyCondition(role, condition))
    return tuple(conditions)


def _check_pressure(readings: Readings, errors: dict[str, str]) -> None:
    systolic, diastolic = readings.systolic, readings.diastolic
    if "systolic" in errors or "diastolic" in errors:
        return
    if (systolic is None) != (diastolic is None):
        errors["systolic" if systolic is None else "diastolic"] = (
            "blood pressure needs both systolic and diastolic values"
        )
    elif systolic is not None and diastolic is not None and systolic.value <= diastolic.value:
        errors["diastolic"] = "diastolic pressure must be lower than systolic"
