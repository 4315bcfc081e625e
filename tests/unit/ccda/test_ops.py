"""Hide fields, select and concatenate: the library functions over split segments."""

from __future__ import annotations

import uuid
from dataclasses import replace

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


# A name under each holder a drifted copy once missed: hiding names must reach them all.
_NAMES_EVERYWHERE = f"""<ClinicalDocument xmlns="{HL7}">
  <informationRecipient><intendedRecipient>
    <informationRecipient><name><given>Quill</given></name></informationRecipient>
    <name>Quentin Intended</name>
  </intendedRecipient></informationRecipient>
  <guardian><guardianOrganization><name>Guardian Trust of Ashby</name></guardianOrganization>
  </guardian>
  <birthplace><place><name>Ashby Cottage Hospital</name></place></birthplace>
  <representedOrganization><asOrganizationPartOf>
    <name>Ashby Health Partners</name>
  </asOrganizationPartOf></representedOrganization>
</ClinicalDocument>""".encode()


def test_hiding_names_reaches_every_element_that_holds_one(demo_ccd: bytes) -> None:
    segment = replace(header_of(demo_ccd), content=_NAMES_EVERYWHERE)
    people = hide_fields(segment, {"person-names"})
    assert b"Quentin Intended" not in people.content
    assert b"Quill" not in people.content
    assert b"Guardian Trust of Ashby" in people.content  # an organisation, not a person
    everyone = hide_fields(segment, {"person-names", "organisation-names"})
    for name in (b"Quentin", b"Quill", b"Guardian Trust", b"Ashby Cottage", b"Ashby Health"):
        assert name in segment.content
        assert name not in everyone.content
    root = parse_xml(everyone.content)
    assert {e.get("nullFlavor") for e in root.iter(f"{H}name")} == {"MSK"}


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
