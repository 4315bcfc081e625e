"""Home readings from the form: one clear message per bad field, never the value."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from phr_share.ccda import Mood, Quantity, parse_readings
from phr_share.ccda.readings import FORM_MEASURES, FamilyCondition
from phr_share.errors import InvalidReadings

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def errors(form: dict[str, str]) -> dict[str, str]:
    with pytest.raises(InvalidReadings) as caught:
        parse_readings(form, NOW)
    return caught.value.fields


def test_a_full_form_is_parsed_with_units() -> None:
    readings = parse_readings(
        {
            "measured_at": "2026-03-01T07:45",
            "systolic": "128",
            "diastolic": "82",
            "heart_rate": "64",
            "glucose": "6.1",
            "glucose_unit": "mmol/L",
            "weight": "180.5",
            "weight_unit": "[lb_av]",
            "height": "170",
            "pain": "3",
            "mood": "good",
            "diet": "oats",
            "activity_minutes": "40",
            "activity": "walking",
            "family_history": "Mother: type 2 diabetes\nfather: stroke",
            "note": "felt dizzy after lunch",
        },
        NOW,
    )
    assert readings.measured_at == datetime(2026, 3, 1, 7, 45, tzinfo=UTC)
    assert readings.systolic == Quantity(Decimal(128), "mm[Hg]")
    assert readings.glucose == Quantity(Decimal("6.1"), "mmol/L")
    assert readings.weight == Quantity(Decimal("180.5"), "[lb_av]")
    assert readings.height == Quantity(Decimal(170), "cm")
    assert (readings.pain, readings.mood, readings.activity_minutes) == (3, Mood.GOOD, 40)
    assert readings.family_history == (
        FamilyCondition("MTH", "type 2 diabetes"),
        FamilyCondition("FTH", "stroke"),
    )


def test_measured_at_defaults_to_now() -> None:
    assert parse_readings({"heart_rate": "70"}, NOW).measured_at == NOW


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"systolic": "400", "diastolic": "80"}, "systolic", "between 50 and 300 mmHg"),
        ({"systolic": "abc", "diastolic": "80"}, "systolic", "must be a number"),
        ({"systolic": "1e3", "diastolic": "80"}, "systolic", "must be a number"),
        ({"systolic": "120"}, "diastolic", "both systolic and diastolic"),
        ({"systolic": "80", "diastolic": "90"}, "diastolic", "lower than systolic"),
        ({"heart_rate": "-5"}, "heart_rate", "must be a number"),
        ({"glucose": "5", "glucose_unit": "mg"}, "glucose", "unit must be one of mg/dL, mmol/L"),
        ({"weight": "5", "weight_unit": "stone"}, "weight", "unit must be one of kg, lb"),
        ({"weight": "1200", "weight_unit": "lb"}, "weight", "between 1 and 1100 lb"),
        ({"glucose": "2000"}, "glucose", "between 10 and 1500 mg/dL"),
        ({"weight": "0.1"}, "weight", "between 0.5 and 500 kg"),
        ({"height": "300"}, "height", "between 30 and 272 cm"),
        ({"pain": "11"}, "pain", "from 0 to 10"),
        ({"pain": "2.5"}, "pain", "from 0 to 10"),
        ({"mood": "ecstatic"}, "mood", "very-low, low"),
        ({"activity_minutes": "2000"}, "activity_minutes", "from 0 to 1440"),
        ({"note": "x" * 5001}, "note", "at most 5000"),
        ({"note": "bad\x00byte"}, "note", "control characters"),
        ({"family_history": "neighbour: flu"}, "family_history", "relation one of"),
        ({"family_history": "mother flu"}, "family_history", "'relation: condition'"),
        ({"heart_rate": "70", "measured_at": "yesterday"}, "measured_at", "date and time"),
        ({"heart_rate": "70", "measured_at": "2026-03-02T08:30"}, "measured_at", "future"),
        ({}, "form", "at least one reading"),
        ({"heart_rate": "  "}, "form", "at least one reading"),
    ],
)
def test_bad_fields_get_a_clear_message(form: dict[str, str], field: str, says: str) -> None:
    problems = errors(form)
    assert says in problems[field]


def test_every_bad_field_is_reported_at_once() -> None:
    problems = errors({"heart_rate": "999", "pain": "12", "mood": "??"})
    assert set(problems) == {"heart_rate", "pain", "mood"}


def test_messages_never_repeat_what_was_entered() -> None:
    with pytest.raises(InvalidReadings) as caught:
        parse_readings({"note": "Jane Roe 555-0100 \x01", "systolic": "98765"}, NOW)
    assert "Jane" not in caught.value.message
    assert "98765" not in caught.value.message


@pytest.mark.parametrize(
    ("field", "spelled", "ucum"),
    [
        ("weight", "lb", "[lb_av]"),
        ("weight", "[lb_av]", "[lb_av]"),
        ("height", "in", "[in_i]"),
        ("height", "[in_i]", "[in_i]"),
        ("weight", "kg", "kg"),
    ],
)
def test_a_unit_is_taken_as_the_form_shows_it_or_as_its_ucum_code(
    field: str, spelled: str, ucum: str
) -> None:
    readings = parse_readings({field: "70", f"{field}_unit": spelled}, now=NOW)
    quantity = getattr(readings, field)
    assert (quantity.value, quantity.unit) == (Decimal(70), ucum)


def _problems(form: dict[str, str]) -> dict[str, str]:
    try:
        parse_readings(form, NOW)
    except InvalidReadings as error:
        return dict(error.fields)
    return {}


def test_the_forms_ranges_are_the_ones_the_server_checks() -> None:
    # Each unit's own ends are taken, and a step past the top is refused.
    pressure = {"systolic": "300", "diastolic": "20"}
    for field, measure in FORM_MEASURES.items():
        for unit in measure.units:
            for value in (unit.low, unit.high):
                form = {field: str(value), f"{field}_unit": unit.label}
                if field in pressure:
                    form = {**pressure, **form}
                assert field not in _problems(form), (field, unit.label, value)
            too_high = {field: str(unit.high + 1), f"{field}_unit": unit.code}
            if field in pressure:
                too_high = {**pressure, **too_high}
            assert "between" in _problems(too_high)[field]
