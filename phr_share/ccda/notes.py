"""A clinician's note or medical order to a patient, as a one-section C-CDA document.

The document is a US Realm Header document coded LOINC 34109-9 (Note), written by the
clinician, not by the patient. Its section is an Assessment and Plan (LOINC 51847-2)
for a note and a Plan of Treatment (18776-5) for an order, so the splitter files it as
a ``doctor-notes`` segment. The author is the clinician's opaque account id; the
document validates against the same schema as home readings.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from phr_share.ccda.readings import XML_UNSAFE
from phr_share.ccda.readings_cda import CLINICIAN_NOTE, PatientHeader, _Builder, _sub, _timestamp
from phr_share.ccda.schemas import validate
from phr_share.ccda.xml import hl7
from phr_share.errors import InvalidReadings

__all__ = ["AUTHOR_ROOT", "ClinicianNote", "note_document"]

# Identifier root of PHR Share account ids when a clinician authors a document.
AUTHOR_ROOT = "2.25.159894715224632297503976708677735739468.20"
MAX_NOTE = 5000


@dataclass(frozen=True, slots=True)
class ClinicianNote:
    """What a clinician writes back: free text, note or order, when, by which account."""

    text: str
    written_at: datetime
    author_id: uuid.UUID
    order: bool = False


def note_document(note: ClinicianNote, patient: PatientHeader, document_id: uuid.UUID) -> bytes:
    """The CDA document (UTF-8 bytes) carrying one note; InvalidReadings for empty or long
    text, or text with characters XML cannot hold."""
    text = note.text.strip()
    if not text:
        raise InvalidReadings({"text": "write the note first"})
    if len(text) > MAX_NOTE:
        raise InvalidReadings({"text": f"a note has at most {MAX_NOTE} characters"})
    if XML_UNSAFE.search(text):  # lxml refuses them with a ValueError of its own
        raise InvalidReadings({"text": "contains control characters that cannot be stored"})
    builder = _Builder(document_id, _timestamp(note.written_at))
    root = builder.header(patient, CLINICIAN_NOTE)
    title = "Medical order" if note.order else CLINICIAN_NOTE.title
    root.find(hl7("title")).text = title  # type: ignore[union-attr]
    author_id = root.find(f"{hl7('author')}/{hl7('assignedAuthor')}/{hl7('id')}")
    assert author_id is not None  # the builder always writes it
    author_id.set("root", AUTHOR_ROOT)
    author_id.set("extension", str(note.author_id))
    name = author_id.getnext()
    assert name is not None
    for child in list(name):
        name.remove(child)
    _sub(name, "name", nullFlavor="UNK")
    if note.order:
        template, code = "2.16.840.1.113883.10.20.22.2.10", "18776-5"
    else:
        template, code = "2.16.840.1.113883.10.20.22.2.9", "51847-2"
    body = _sub(_sub(root, "component"), "structuredBody")
    _sub(body, "component").append(builder.plain_section(template, code, title, [], text))
    validate(root, "phr-readings.xsd", "the note document")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
