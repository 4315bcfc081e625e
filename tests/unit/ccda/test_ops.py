"""Hide fields, select and concatenate: the study's segment functions."""

from __future__ import annotations

import uuid

import pytest

from phr_share.ccda import (
    concatenate_segments,
    hide_fields,
    segments_from_xml,
    select_segments,
    split_document,
)
from phr_share.ccda.xml import HL7, parse_xml
from phr_share.errors import InvalidSegment
from phr_share.models import Segment, SegmentKind
from tests.conftest import PATIENT

H = f"{{{HL7}}}"


def header_of(demo_ccd: bytes) -> Segment:
    return split_document(demo_ccd, PATIENT).segments[0]


def test_hiding_ids_and_names_masks_them_and_keeps_the_rest(demo_ccd: bytes) -> None:
    header = header_of(demo_ccd)
    hidden = hide_fields(header, {"ids", "person-names", "addresses", "telecoms", "birth-times"})
    for value in (
        b"MRN-998877",
        b"999-45-6789",
        b"Jordan",
        b"Robin",
        b"Juniper",
        b"555",
        b"19580412",
    ):
        assert value in header.content
        assert value not in hidden.content
    root = parse_xml(hidden.content)
    assert {e.get("nullFlavor") for e in root.iter(f"{H}id")} == {"MSK"}
    assert b"Fairview Family Practice" in hidden.content  # organisation names were not asked for
    assert hidden.masked == ("addresses", "birth-times", "ids", "person-names", "telecoms")
    assert (hidden.tracking_id, hidden.path) == (header.tracking_id, header.path)
    assert hidden.sha256 != header.sha256


def test_hiding_the_narrative_empties_the_section_text(demo_ccd: bytes) -> None:
    problems = split_document(demo_ccd, PATIENT).segments[3]
    hidden = hide_fields(problems, {"narrative"})
    assert b"Essential hypertension, since 2021" not in hidden.content
    assert b"59621000" in hidden.content  # the coded entry stays


def test_an_unknown_field_is_refused(demo_ccd: bytes) -> None:
    with pytest.raises(InvalidSegment, match="unknown field"):
        hide_fields(header_of(demo_ccd), {"ids", "shoe-size"})


def test_select_by_kind_and_by_tracking_id(demo_ccd: bytes) -> None:
    segments = split_document(demo_ccd, PATIENT).segments
    lifestyle = select_segments(segments, kinds={SegmentKind.LIFESTYLE})
    assert [s.title for s in lifestyle] == ["Social History"]
    wanted = {segments[2].tracking_id, segments[5].tracking_id}
    assert select_segments(segments, tracking_ids=wanted) == (segments[2], segments[5])
    assert select_segments(segments) == segments


def test_concatenation_refuses_two_patients(demo_ccd: bytes) -> None:
    mine = split_document(demo_ccd, PATIENT).segments
    theirs = split_document(demo_ccd, uuid.uuid4()).segments
    with pytest.raises(InvalidSegment, match="more than one patient"):
        concatenate_segments([mine[1], theirs[1]])
    assert segments_from_xml(concatenate_segments(mine[1:3])) == mine[1:3]
