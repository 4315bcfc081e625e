"""Splitting: kinds, paths, tracking ids, nesting, the header, known answers."""

from __future__ import annotations

import json
import uuid

import pytest
from lxml import etree

from phr_share.ccda import split_document
from phr_share.ccda.envelope import SEGMENT_NS
from phr_share.ccda.xml import HL7, parse_xml
from phr_share.errors import TooManySections
from phr_share.models import SegmentKind, tracking_id_for
from phr_share.settings import XmlLimits
from tests.conftest import DATA, PATIENT, many_sections

KAT = DATA / "ccda" / "kat-minimal.xml"


def test_known_answer_segments_do_not_drift() -> None:
    expected = json.loads((DATA / "ccda" / "kat-minimal.expected.json").read_text())
    result = split_document(KAT.read_bytes(), uuid.UUID(expected["patient_id"]))
    got = [
        {
            "path": s.path,
            "kind": s.kind.value,
            "tracking_id": str(s.tracking_id),
            "sha256": s.sha256,
        }
        for s in result.segments
    ]
    assert got == expected["segments"]
    by_path = {s.path: s for s in result.segments}
    assert by_path["body/2/1"].content.decode() == expected["skin_content"]
    assert by_path["body/2"].content.decode() == expected["parent_content"]
    assert str(result.document.id) == expected["document_id"]


def test_every_section_becomes_one_segment_with_its_kind(demo_ccd: bytes) -> None:
    result = split_document(demo_ccd, PATIENT)
    kinds = [(s.path, s.kind) for s in result.segments]
    assert kinds == [
        ("header", SegmentKind.PERSONAL),
        ("body/1", SegmentKind.HEALTH_STATUS),
        ("body/2", SegmentKind.HEALTH_STATUS),
        ("body/3", SegmentKind.HEALTH_STATUS),
        ("body/4", SegmentKind.PHYSICAL_SIGNS),
        ("body/5", SegmentKind.PHYSICAL_SIGNS),
        ("body/5/1", SegmentKind.PHYSICAL_SIGNS),
        ("body/6", SegmentKind.HEALTH_STATUS),
        ("body/7", SegmentKind.LIFESTYLE),
        ("body/8", SegmentKind.FAMILY_HISTORY),
        ("body/9", SegmentKind.PATIENT_NARRATIVE),
        ("body/10", SegmentKind.DOCTOR_NOTES),
        ("body/11", SegmentKind.OTHER),
    ]


def test_segments_carry_title_codes_and_document(demo_ccd: bytes) -> None:
    result = split_document(demo_ccd, PATIENT)
    vitals = next(s for s in result.segments if s.path == "body/4")
    assert (vitals.title, vitals.code and vitals.code.loinc) == ("Vital Signs", "8716-3")
    assert vitals.template_ids[0].root == "2.16.840.1.113883.10.20.22.2.4.1"
    assert str(vitals.document.id) == "2.16.840.1.113883.19.5.99999.1^DEMO-CCD-0001"
    assert vitals.document.version == 1
    assert vitals.patient_id == PATIENT
    assert len(vitals.sha256) == 64


def test_tracking_ids_are_stable_for_the_same_document_and_patient(demo_ccd: bytes) -> None:
    first = split_document(demo_ccd, PATIENT)
    again = split_document(demo_ccd, PATIENT)
    other = split_document(demo_ccd, uuid.uuid4())
    assert [s.tracking_id for s in first.segments] == [s.tracking_id for s in again.segments]
    assert {s.tracking_id for s in first.segments}.isdisjoint(s.tracking_id for s in other.segments)
    for segment in first.segments:
        assert segment.tracking_id == tracking_id_for(PATIENT, first.document.id, segment.path)


def test_a_new_document_version_gets_new_tracking_ids(demo_ccd: bytes) -> None:
    revised = demo_ccd.replace(b'extension="DEMO-CCD-0001"', b'extension="DEMO-CCD-0002"')
    revised = revised.replace(b'<versionNumber value="1"/>', b'<versionNumber value="2"/>')
    old, new = split_document(demo_ccd, PATIENT), split_document(revised, PATIENT)
    assert new.document.version == 2
    assert {s.tracking_id for s in old.segments}.isdisjoint(s.tracking_id for s in new.segments)


def test_a_nested_section_is_replaced_by_a_placeholder_in_its_parent(demo_ccd: bytes) -> None:
    result = split_document(demo_ccd, PATIENT)
    parent = parse_xml(next(s.content for s in result.segments if s.path == "body/5"))
    refs = parent.findall(f".//{{{SEGMENT_NS}}}segment-ref")
    assert [r.get("path") for r in refs] == ["body/5/1"]
    assert parent.find(f".//{{{HL7}}}section") is None


def test_the_header_holds_the_patient_and_placeholders_but_no_section(demo_ccd: bytes) -> None:
    result = split_document(demo_ccd, PATIENT)
    header = parse_xml(result.segments[0].content)
    assert header.find(f"{{{HL7}}}recordTarget/{{{HL7}}}patientRole") is not None
    assert header.find(f".//{{{HL7}}}section") is None
    refs = [r.get("path") for r in header.iter(f"{{{SEGMENT_NS}}}segment-ref")]
    assert refs == [f"body/{n}" for n in range(1, 12)]


def test_comments_never_reach_a_segment() -> None:
    result = split_document(KAT.read_bytes(), PATIENT)
    assert all(b"<!--" not in s.content for s in result.segments)


def test_a_section_written_by_another_organisation_is_third_party(demo_ccd: bytes) -> None:
    author = (
        b"<author><time value='20260101'/><assignedAuthor><id root='2.16.840.1.113883.4.6'/>"
        b"<representedOrganization><id root='2.16.840.1.113883.19.5.77777'/>"
        b"<name>Outside Lab</name></representedOrganization></assignedAuthor></author>"
    )
    same_org = author.replace(b"2.16.840.1.113883.19.5.77777", b"2.16.840.1.113883.19.5.99999.10")
    marker = b"<title>Results</title>"
    external = split_document(demo_ccd.replace(marker, marker + author), PATIENT)
    internal = split_document(demo_ccd.replace(marker, marker + same_org), PATIENT)
    assert next(s.kind for s in external.segments if s.path == "body/6") is SegmentKind.THIRD_PARTY
    assert (
        next(s.kind for s in internal.segments if s.path == "body/6") is SegmentKind.HEALTH_STATUS
    )


def test_an_unstructured_body_is_one_segment_of_kind_other() -> None:
    data = (
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3" extension="u"/>'
        b'<recordTarget><patientRole><id root="1.2.3.4" extension="p"/></patientRole>'
        b"</recordTarget>"
        b'<component><nonXMLBody><text mediaType="text/plain">Seen today.</text></nonXMLBody>'
        b"</component></ClinicalDocument>"
    )
    result = split_document(data, PATIENT)
    assert [(s.path, s.kind) for s in result.segments] == [
        ("header", SegmentKind.PERSONAL),
        ("body", SegmentKind.OTHER),
    ]
    assert etree.QName(parse_xml(result.segments[1].content)).localname == "nonXMLBody"


def test_more_sections_than_the_limit_are_refused_in_so_many_words(demo_ccd: bytes) -> None:
    with pytest.raises(TooManySections) as refused:
        split_document(demo_ccd, PATIENT, XmlLimits(max_sections=11))
    assert refused.value.message == "the document has 12 sections; at most 11 are accepted"
    assert refused.value.http_status == 422
    assert len(split_document(demo_ccd, PATIENT, XmlLimits(max_sections=12)).segments) == 13


def test_the_default_limit_is_500_sections() -> None:
    assert len(split_document(many_sections(500), PATIENT).segments) == 501
    with pytest.raises(TooManySections, match=r"^the document has 5,001 sections; at most 500 "):
        split_document(many_sections(5001), PATIENT)
