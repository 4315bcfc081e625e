"""Rebuilding documents from chosen segments, with the header the reader may see."""

from __future__ import annotations

import uuid

import pytest

from phr_share.ccda import rebuild_document, select_segments, split_document
from phr_share.ccda.envelope import SEGMENT_NS
from phr_share.ccda.vocab import PATIENT_ID_ROOT
from phr_share.ccda.xml import HL7, parse_xml
from phr_share.errors import InvalidSegment
from phr_share.models import SegmentKind
from tests.conftest import PATIENT

H = f"{{{HL7}}}"


def sections(document: bytes) -> list[str]:
    root = parse_xml(document)
    return [s.findtext(f"{H}title") or "" for s in root.iter(f"{H}section")]


def test_all_segments_rebuild_the_same_sections(demo_ccd: bytes) -> None:
    original = split_document(demo_ccd, PATIENT)
    rebuilt = rebuild_document(original.segments)
    assert split_document(rebuilt, PATIENT).segments == original.segments
    assert sections(rebuilt) == sections(demo_ccd)


def test_a_subset_rebuilds_with_a_masked_header(demo_ccd: bytes) -> None:
    chosen = select_segments(
        split_document(demo_ccd, PATIENT).segments,
        kinds={SegmentKind.HEALTH_STATUS, SegmentKind.PHYSICAL_SIGNS},
    )
    rebuilt = rebuild_document(chosen)
    root = parse_xml(rebuilt)
    assert sections(rebuilt) == [
        "Allergies",
        "Medications",
        "Problems",
        "Vital Signs",
        "Physical Exam",
        "Skin",
        "Results",
    ]
    patient_id = root.find(f"{H}recordTarget/{H}patientRole/{H}id")
    assert patient_id is not None
    assert (patient_id.get("root"), patient_id.get("extension")) == (PATIENT_ID_ROOT, str(PATIENT))
    assert root.find(f".//{H}patient/{H}name").get("nullFlavor") == "MSK"  # type: ignore[union-attr]
    for identifying in (
        b"Jordan",
        b"Sample",
        b"MRN-998877",
        b"999-45-6789",
        b"Juniper",
        b"19580412",
    ):
        assert identifying not in rebuilt
    assert root.find(f"{H}id").get("extension") == "DEMO-CCD-0001"  # type: ignore[union-attr]
    assert not list(root.iter(f"{{{SEGMENT_NS}}}segment-ref"))


def test_a_child_section_without_its_parent_takes_the_parents_place(demo_ccd: bytes) -> None:
    segments = split_document(demo_ccd, PATIENT).segments
    chosen = [s for s in segments if s.path in {"header", "body/4", "body/5/1", "body/6"}]
    assert sections(rebuild_document(chosen)) == ["Vital Signs", "Skin", "Results"]


def test_the_header_alone_rebuilds_a_document_without_sections(demo_ccd: bytes) -> None:
    header = split_document(demo_ccd, PATIENT).segments[:1]
    rebuilt = rebuild_document(header)
    assert sections(rebuilt) == []
    assert b"Jordan" in rebuilt


def test_segments_of_two_patients_are_refused(demo_ccd: bytes) -> None:
    mine = split_document(demo_ccd, PATIENT).segments
    theirs = split_document(demo_ccd, uuid.uuid4()).segments
    with pytest.raises(InvalidSegment, match="more than one patient"):
        rebuild_document([mine[1], theirs[2]])


def test_segments_of_two_documents_are_refused(demo_ccd: bytes) -> None:
    other = demo_ccd.replace(b"DEMO-CCD-0001", b"DEMO-CCD-0002")
    first, second = split_document(demo_ccd, PATIENT), split_document(other, PATIENT)
    with pytest.raises(InvalidSegment, match="more than one document"):
        rebuild_document([first.segments[1], second.segments[2]])


def test_nothing_to_rebuild_is_refused() -> None:
    with pytest.raises(InvalidSegment, match="no segments"):
        rebuild_document([])
