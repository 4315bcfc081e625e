"""Readings become a C-CDA document the splitter reads back, coded with LOINC and UCUM."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from lxml import etree

from phr_share.ccda import PatientHeader, parse_readings, readings_document, split_document
from phr_share.ccda.narrative import MOOD, NOTE, parse_section
from phr_share.ccda.schemas import schema_path
from phr_share.ccda.xml import HL7, parse_xml
from phr_share.models import SegmentKind
from tests.conftest import PATIENT

H = f"{{{HL7}}}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
DOC_ID = uuid.UUID("6a1c2b54-3f0e-4c47-9d3e-2b1f6b0a9c11")
FULL_FORM = {
    "systolic": "128",
    "diastolic": "82",
    "heart_rate": "64",
    "glucose": "104",
    "weight": "80",
    "height": "175",
    "pain": "3",
    "mood": "low",
    "diet": "porridge, salad",
    "activity_minutes": "35",
    "activity": "cycling",
    "family_history": "mother: type 2 diabetes",
    "note": "tired in the evening",
}


def build(form: dict[str, str], patient: PatientHeader | None = None) -> bytes:
    return readings_document(parse_readings(form, NOW), patient or PatientHeader(PATIENT), DOC_ID)


def observations(document: bytes) -> dict[str, tuple[str | None, str | None]]:
    root = parse_xml(document)
    found = {}
    for observation in root.iter(f"{H}observation"):
        code = observation.find(f"{H}code")
        value = observation.find(f"{H}value")
        assert code is not None
        assert value is not None
        found[code.get("code") or ""] = (value.get("value"), value.get("unit"))
    return found


def test_the_document_matches_the_readings_schema() -> None:
    schema = etree.XMLSchema(etree.parse(str(schema_path("phr-readings.xsd"))))
    assert schema.validate(etree.fromstring(build(FULL_FORM))), schema.error_log


def test_measurements_are_coded_with_loinc_and_ucum() -> None:
    found = observations(build(FULL_FORM))
    assert found["8480-6"] == ("128", "mm[Hg]")
    assert found["8462-4"] == ("82", "mm[Hg]")
    assert found["8867-4"] == ("64", "/min")
    assert found["2339-0"] == ("104", "mg/dL")
    assert found["8302-2"] == ("175", "cm")
    assert found["29463-7"] == ("80", "kg")
    assert found["39156-5"] == ("26.1", "kg/m2")  # 80 / 1.75^2
    assert found["72514-3"] == ("3", "{score}")
    assert found["55411-3"] == ("35", "min")


def test_the_charts_read_every_measure_back_mood_as_a_score() -> None:
    by_section = {
        s.title: parse_section(s.content, entries=True).measurements
        for s in split_document(build(FULL_FORM), PATIENT).segments
    }
    assert [(m.code, m.value, m.unit) for m in by_section["How I feel"]] == [
        ("72514-3", 3.0, "{score}"),
        (MOOD, 2.0, "{score}"),  # low: 2 of 5
    ]
    assert [(m.code, m.value) for m in by_section["Physical activity"]] == [("55411-3", 35.0)]
    assert {m.at for ms in by_section.values() for m in ms} == {NOW}
    # A mood answer off the scale is not charted; nothing else in the section is lost.
    off_scale = by_section_content(build(FULL_FORM), "How I feel").replace(
        b'code="low"', b'code="giddy"'
    )
    assert [m.code for m in parse_section(off_scale, entries=True).measurements] == ["72514-3"]


def test_statements_read_what_the_patient_wrote_as_they_would_say_it() -> None:
    document = build(FULL_FORM)
    said = {
        title: [
            (x.code, x.text)
            for x in parse_section(by_section_content(document, title), entries=True).statements
        ]
        for title in ("How I feel", "Diet", "Physical activity")
    }
    assert said == {
        "How I feel": [("72514-3", "3 / 10"), (MOOD, "low"), (NOTE, "tired in the evening")],
        "Diet": [("diet-note", "porridge, salad")],
        "Physical activity": [("55411-3", "35 min, cycling")],
    }
    assert {
        x.at for x in parse_section(by_section_content(document, "Diet"), entries=True).statements
    } == {NOW}
    # A note on its own has no timed entry, so no sitting to belong to.
    alone = by_section_content(build({"note": "just a note"}), "How I feel")
    assert parse_section(alone, entries=True).statements == ()


def by_section_content(document: bytes, title: str) -> bytes:
    return next(s.content for s in split_document(document, PATIENT).segments if s.title == title)


def test_bmi_is_computed_across_units() -> None:
    found = observations(
        build(
            {
                "weight": "176.37",
                "weight_unit": "[lb_av]",
                "height": "68.9",
                "height_unit": "[in_i]",
            }
        )
    )
    assert found["39156-5"] == ("26.1", "kg/m2")


def test_the_splitter_reads_the_sections_back_as_the_right_kinds() -> None:
    result = split_document(build(FULL_FORM), PATIENT)
    assert [(s.title, s.kind) for s in result.segments] == [
        ("Home readings", SegmentKind.PERSONAL),
        ("Vital signs", SegmentKind.PHYSICAL_SIGNS),
        ("Body measures", SegmentKind.BODY_MEASURES),
        ("How I feel", SegmentKind.PATIENT_NARRATIVE),
        ("Diet", SegmentKind.LIFESTYLE),
        ("Physical activity", SegmentKind.LIFESTYLE),
        ("Family history", SegmentKind.FAMILY_HISTORY),
    ]


def test_only_the_sections_with_readings_are_written() -> None:
    result = split_document(build({"glucose": "5.5", "glucose_unit": "mmol/L"}), PATIENT)
    assert [s.kind for s in result.segments] == [SegmentKind.PERSONAL, SegmentKind.PHYSICAL_SIGNS]
    assert observations(build({"glucose": "5.5", "glucose_unit": "mmol/L"}))["15074-8"] == (
        "5.5",
        "mmol/L",
    )


def test_the_patient_is_named_only_by_global_id_unless_told_more() -> None:
    anonymous = parse_xml(build({"heart_rate": "70"}))
    role = anonymous.find(f"{H}recordTarget/{H}patientRole")
    assert role is not None
    assert role.find(f"{H}id").get("extension") == str(PATIENT)  # type: ignore[union-attr]
    assert role.find(f"{H}patient/{H}name").get("nullFlavor") == "UNK"  # type: ignore[union-attr]
    named = build(
        {"heart_rate": "70"}, PatientHeader(PATIENT, "Ana", "Lima", date(1950, 5, 6), "F")
    )
    assert b"<given>Ana</given>" in named
    assert b'value="19500506"' in named


def test_free_text_is_escaped_not_interpreted() -> None:
    document = build({"note": "<script>alert(1)</script> & more"})
    assert b"&lt;script&gt;" in document
    assert parse_xml(document).find(f".//{H}paragraph").text == "<script>alert(1)</script> & more"  # type: ignore[union-attr]


def test_the_same_readings_give_the_same_document() -> None:
    assert build(FULL_FORM) == build(FULL_FORM)
