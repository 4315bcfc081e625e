"""The segment envelope: known answer, round trips, and nothing in it is trusted."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from lxml import etree

from phr_share.ccda import (
    concatenate_segments,
    segment_from_xml,
    segment_to_xml,
    segments_from_xml,
    split_document,
)
from phr_share.ccda.schemas import schema_path
from phr_share.errors import InvalidSegment, SchemaViolation
from phr_share.models import Segment
from tests.conftest import DATA, PATIENT

KAT = DATA / "ccda" / "kat-minimal.xml"


def skin_segment() -> Segment:
    return next(
        s for s in split_document(KAT.read_bytes(), PATIENT).segments if s.path == "body/2/1"
    )


def test_known_answer_envelope_does_not_drift() -> None:
    assert segment_to_xml(skin_segment()) == (DATA / "ccda" / "kat-skin.envelope.xml").read_bytes()


def test_every_segment_round_trips_through_its_envelope(demo_ccd: bytes) -> None:
    for segment in split_document(demo_ccd, PATIENT).segments:
        assert segment_from_xml(segment_to_xml(segment)) == segment


def test_written_envelopes_match_the_schema(demo_ccd: bytes) -> None:
    schema = etree.XMLSchema(etree.parse(str(schema_path("segment.xsd"))))
    for segment in split_document(demo_ccd, PATIENT).segments:
        assert schema.validate(etree.fromstring(segment_to_xml(segment))), schema.error_log


def test_a_bundle_keeps_every_segment_in_document_order(demo_ccd: bytes) -> None:
    segments = split_document(demo_ccd, PATIENT).segments
    assert segments_from_xml(concatenate_segments(reversed(segments))) == segments


def test_edited_content_is_detected() -> None:
    data = segment_to_xml(skin_segment()).replace(b"Clear", b"Rash!")
    with pytest.raises(InvalidSegment, match="does not match its sha256"):
        segment_from_xml(data)


def test_a_segment_moved_to_another_patient_is_detected() -> None:
    data = segment_to_xml(skin_segment()).replace(str(PATIENT).encode(), str(uuid.uuid4()).encode())
    with pytest.raises(InvalidSegment, match="tracking id"):
        segment_from_xml(data)


def test_a_segment_moved_to_another_position_is_detected() -> None:
    data = segment_to_xml(skin_segment()).replace(b'path="body/2/1"', b'path="body/3"')
    with pytest.raises(InvalidSegment, match="tracking id"):
        segment_from_xml(data)


def test_an_unknown_kind_is_a_schema_violation() -> None:
    data = segment_to_xml(skin_segment()).replace(b'kind="physical-signs"', b'kind="secret"')
    with pytest.raises(SchemaViolation, match="kind"):
        segment_from_xml(data)


def test_content_that_does_not_fit_the_path_is_refused() -> None:
    data = segment_to_xml(skin_segment()).replace(b'path="body/2/1"', b'path="header"')
    with pytest.raises(InvalidSegment, match="wrong kind of content"):
        segment_from_xml(data)


def test_other_xml_is_not_a_segment_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidSegment, match="not a PHR Share segment"):
        segments_from_xml(b'<segment xmlns="urn:other"/>')
    with pytest.raises(InvalidSegment, match="not a PHR Share segment"):
        segment_from_xml(KAT.read_bytes())
