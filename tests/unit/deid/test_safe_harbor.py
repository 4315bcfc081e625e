"""Every Safe Harbor identifier kind leaves a released segment, structured or in narrative."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from phr_share.ccda import split_document
from phr_share.ccda.entries import clinical_entries
from phr_share.ccda.identity import collect_identifiers, patient_identity
from phr_share.ccda.xml import HL7, parse_xml
from phr_share.deid import DateMode, DeidPolicy, scan
from phr_share.deidentify import DeidentifiedSegment, deidentify_document, deidentify_segments
from phr_share.errors import InvalidSegment
from phr_share.models import PhiKind, SegmentKind
from tests.conftest import DATA

PHI = (DATA / "ccda" / "phi-all-kinds.xml").read_bytes()
PATIENT = uuid.UUID("0f7d1c52-3c2e-4b8a-9a55-1d9f2c3b4a10")
POLICY = DeidPolicy(b"s" * 32, date(2026, 11, 22))
H = f"{{{HL7}}}"


def released(policy: DeidPolicy = POLICY) -> list[DeidentifiedSegment]:
    return deidentify_document(split_document(PHI, PATIENT), policy)


def everything(segments: list[DeidentifiedSegment]) -> str:
    xml = "\n".join(s.xml.decode() for s in segments)
    rows = "\n".join(json.dumps(r.as_json()) for s in segments for r in s.records)
    return xml + "\n" + rows


@pytest.mark.parametrize(
    ("kind", "written"),
    [
        (
            PhiKind.NAME,
            [
                "Ottoline",
                "Vexley",
                "Hopperton",
                "Cornelius",
                "Quillington Heights Clinic",
                "Vexley Family Home",
            ],
        ),
        (
            PhiKind.GEOGRAPHY,
            ["Birch Road", "Harbor Avenue", "Quillington", "Marrowby", "97024", "03601", "EC1A"],
        ),
        (
            PhiKind.DATE,
            [
                "20240314",
                "03/14/2024",
                "March 14",
                "2024-03-14",
                "14 Mar 2024",
                "April 2",
                "19190704",
                "1919",
                "1935",
                "07/04/2024",
                "20230211",
                "20240316",
            ],
        ),
        (PhiKind.PHONE, ["201-3344", "201-7000"]),
        (PhiKind.FAX, ["201-9999"]),
        (PhiKind.EMAIL, ["ottoline.vexley@example.org"]),
        (PhiKind.SSN, ["999-12-3456"]),
        (PhiKind.MRN, ["A7734521"]),
        (PhiKind.HEALTH_PLAN, ["HP-55512345"]),
        (PhiKind.ACCOUNT, ["778899001"]),
        (PhiKind.LICENCE, ["CA-1234567", "9988776655"]),
        (PhiKind.VEHICLE, ["1HGCM82633A004352"]),
        (PhiKind.DEVICE, ["00643169007222", "BLC200461H"]),
        (PhiKind.URL, ["portal.example.org", "images.example.org"]),
        (PhiKind.IP_ADDRESS, ["192.168.10.44"]),
        (PhiKind.BIOMETRIC, ["BASE64-SIGNATURE"]),
        (PhiKind.IMAGE, ["/9j/4AAQSkZJRgABAQ", "renderMultiMedia", "RGlzY2hhcmdlIGxldHRlciBmb3Ig"]),
        (
            PhiKind.OTHER_ID,
            [
                "ENC-0042-7731",
                "FH-1",
                "VS-9",
                "d42ebf70-5c89",
                "PHI-DOC-4471",
                "enc-A7734521",
                "MONITOR-SN-88412",
            ],
        ),
    ],
)
def test_each_identifier_kind_is_removed_and_counted(kind: PhiKind, written: list[str]) -> None:
    segments = released()
    output = everything(segments)
    for value in written:
        assert value.lower() not in output.lower(), f"{kind.value}: {value!r} leaked"
    assert sum(s.removed.get(kind, 0) for s in segments) >= 1


def test_the_scanner_finds_none_of_the_documents_identifiers() -> None:
    identifiers = collect_identifiers(parse_xml(PHI))
    assert len(identifiers) > 30
    assert scan(everything(released()), identifiers) == []


def test_clinical_meaning_survives() -> None:
    segments = released()
    output = everything(segments)
    for kept in (
        "99213",
        "22298006",
        "44054006",
        "8480-6",
        'value="128"',
        "Office visit",
        "128/82 mmHg",
    ):
        assert kept in output
    assert 'value="1000"' in output  # a reference range is not a year
    assert "OR" in output  # the state may stay
    split = split_document(PHI, PATIENT)
    source = sum(len(clinical_entries(parse_xml(s.content))) for s in split.section_segments)
    assert sum(len(s.records) for s in segments) == source == 7


def test_ages_over_89_become_90_plus_and_89_stays() -> None:
    output = everything(released())
    assert "father is 90+ years" in output
    assert "aunt, age 90+" in output
    assert "mother is 89 years old" in output
    assert '<low inclusive="true" unit="a" value="90"></low>' in output  # age at onset 105
    assert 'unit="a" value="89"' in output
    ages = [r.value for s in released() for r in s.records if r.unit == "a"]
    assert sorted(ages) == ["89", "90+"]


def test_birth_times_of_people_90_or_older_are_masked() -> None:
    family = next(s for s in released() if s.kind is SegmentKind.FAMILY_HISTORY)
    root = parse_xml(family.xml)
    births = [(b.get("value"), b.get("nullFlavor")) for b in root.iter(f"{H}birthTime")]
    assert births == [(None, "MSK"), ("1937", None)]  # born 1919: 107 today; 1937: 89


def test_zip_codes_keep_three_digits_or_become_000() -> None:
    encounters = released()[0]
    root = parse_xml(encounters.xml)
    postal = [p.text for p in root.iter(f"{H}postalCode")]
    assert postal == ["000"]  # 03601 is in a small ZIP3 area; EC1A 1BB is not a US ZIP
    records = released()[0].records
    assert {r.zip3 for r in records} == {"970"}


def test_dates_keep_their_year_and_ids_are_replaced_consistently() -> None:
    first, again = released(), released()
    assert [s.xml for s in first] == [s.xml for s in again]
    root = parse_xml(first[0].xml)
    assert root.find(f".//{H}encounter/{H}effectiveTime").get("value") == "2024"  # type: ignore[union-attr]
    performer = root.find(f".//{H}performer/{H}assignedEntity/{H}id")
    author = root.find(f".//{H}author/{H}assignedAuthor/{H}id")
    assert performer is not None
    assert author is not None
    assert performer.get("extension") == author.get("extension")  # same NPI, same stand-in


def test_date_shifting_moves_every_date_of_a_patient_by_one_offset() -> None:
    shifting = DeidPolicy(b"s" * 32, date(2026, 11, 22), DateMode.SHIFT)
    segments = released(shifting)
    vitals = next(s for s in segments if s.kind is SegmentKind.PHYSICAL_SIGNS)
    days = {r.date for r in vitals.records}
    assert len(days) == 1
    day = date.fromisoformat(days.pop() or "")
    assert day != date(2024, 3, 14)
    assert abs((day - date(2024, 3, 14)).days) <= 365
    times = [e.get("value") for e in parse_xml(vitals.xml).iter(f"{H}effectiveTime")]
    assert times == [f"{day:%Y%m%d}101500-0500"] * 2  # time of day kept, day shifted
    assert day.isoformat() in everything(segments)  # the narrative date moved the same way


def test_the_personal_segment_is_never_released() -> None:
    split = split_document(PHI, PATIENT)
    identity = patient_identity(split.segments[0].content, PATIENT)
    with pytest.raises(InvalidSegment, match="never"):
        deidentify_segments(split.segments[:1], identity, POLICY)


def test_a_relative_introduced_once_is_removed_wherever_named_again() -> None:
    document = PHI.replace(
        b"Her father is 105 years old;",
        b"Seen with her daughter Ingrid Ferreira. Her father is 105 years old;",
    ).replace(b"mother born 1935.", b"mother born 1935. Ingrid keeps her medication list.")
    assert document.count(b"Ingrid") == 2
    segments = deidentify_document(split_document(document, PATIENT), POLICY)
    output = everything(segments)
    assert "ingrid" not in output.lower()
    assert "ferreira" not in output.lower()
    assert "Seen with her daughter [NAME]." in output
    assert "[NAME] keeps her medication list." in output
