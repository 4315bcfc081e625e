"""A clinician's note or order is a clinician's document, read back as ``doctor-notes``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lxml import etree

from phr_share.ccda import PatientHeader, split_document
from phr_share.ccda.notes import AUTHOR_ROOT, MAX_NOTE, ClinicianNote, note_document
from phr_share.ccda.schemas import schema_path
from phr_share.ccda.xml import HL7, parse_xml
from phr_share.errors import InvalidReadings
from phr_share.models import SegmentKind
from tests.conftest import PATIENT

H = f"{{{HL7}}}"
WRITTEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
AUTHOR = uuid.UUID("0b0e7d8c-2f57-4a4a-8f43-3b1b6a6f2c01")
DOC_ID = uuid.UUID("9d5b0c1e-5a43-4f0e-8e53-7f2d1c3b4a55")


def build(text: str = "Reduce salt; recheck in two weeks.", *, order: bool = False) -> bytes:
    note = ClinicianNote(text, WRITTEN, AUTHOR, order)
    return note_document(note, PatientHeader(PATIENT), DOC_ID)


def test_a_note_is_a_clinicians_document_not_a_patient_generated_one() -> None:
    root = parse_xml(build())
    templates = [t.get("root") for t in root.findall(f"{H}templateId")]
    assert "2.16.840.1.113883.10.20.22.1.1" in templates  # US Realm Header
    assert "2.16.840.1.113883.10.20.29.1" not in templates  # not a Patient Generated Document
    code = root.find(f"{H}code")
    assert code is not None
    assert (code.get("code"), code.get("displayName")) == ("34109-9", "Note")
    author = root.find(f"{H}author/{H}assignedAuthor/{H}id")
    assert author is not None
    assert (author.get("root"), author.get("extension")) == (AUTHOR_ROOT, str(AUTHOR))


@pytest.mark.parametrize("order", [False, True])
def test_notes_and_orders_validate_and_split_into_one_doctor_notes_segment(order: bool) -> None:
    document = build(order=order)
    schema = etree.XMLSchema(etree.parse(str(schema_path("phr-readings.xsd"))))
    assert schema.validate(etree.fromstring(document)), schema.error_log
    split = split_document(document, PATIENT)
    assert [s.kind for s in split.section_segments] == [SegmentKind.DOCTOR_NOTES]
    section = split.section_segments[0]
    assert section.code is not None
    assert section.code.code == ("18776-5" if order else "51847-2")
    assert split.document.title == ("Medical order" if order else "Clinician's note")


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_NOTE + 1), "bell \x07", "\ufffe"])
def test_an_empty_over_long_or_unstorable_note_is_refused(text: str) -> None:
    with pytest.raises(InvalidReadings) as refused:
        build(text)
    assert set(refused.value.fields) == {"text"}
