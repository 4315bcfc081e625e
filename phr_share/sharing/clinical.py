"""What people see of a record: readable sections, vital-sign series, notes written back,
a clinician's patient list and the research preview. Every segment read here goes
through :func:`read_segment`, so the decision point decides and the log records it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from phr_share.ccda import PatientHeader, parse_readings, readings_document, rebuild_document
from phr_share.ccda.narrative import (
    Measurement,
    SectionView,
    Statement,
    parse_section,
)
from phr_share.ccda.notes import ClinicianNote, note_document
from phr_share.consent import CareStatus, Principal, Purpose
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import consent as consent_rows
from phr_share.deid.records import FlatRecord
from phr_share.errors import AccessDenied, NotFound
from phr_share.models import Reason, SegmentKind
from phr_share.series import Point, Summary, summarise
from phr_share.sharing.access import may_name, terms_of_grant
from phr_share.sharing.alerts import readings_danger, sound_alarms
from phr_share.sharing.charts import CHARTED_KINDS
from phr_share.sharing.guard import require_carer, require_clinician, require_owner
from phr_share.sharing.ingest import IngestResult, store_document
from phr_share.sharing.links import open_share_link
from phr_share.sharing.notices import notify_patient
from phr_share.sharing.parties import anonymous_name, relationship
from phr_share.sharing.read import (
    SegmentRecord,
    current_records,
    read_permitted,
    read_segment,
    read_segments,
    segment_records,
    type_codes,
)
from phr_share.sharing.release import as_segment, deidentify_stored, released_kinds
from phr_share.sharing.services import Services

__all__ = [
    "CHARTED_KINDS",
    "VITAL_KINDS",
    "PatientCard",
    "SectionRecord",
    "SharedVisit",
    "export_document",
    "open_shared_sections",
    "patient_name",
    "patient_time_zone",
    "patients_of",
    "read_section",
    "read_sections",
    "research_preview",
    "save_readings",
    "summary_from",
    "write_note",
]

VITAL_KINDS = frozenset({SegmentKind.PHYSICAL_SIGNS, SegmentKind.BODY_MEASURES})
# The header is shown as the patient's name, never as a section.
_SECTION_KINDS = frozenset(SegmentKind) - {SegmentKind.PERSONAL}


@dataclass(frozen=True, slots=True)
class SectionRecord:
    """A stored segment the reader may see, rendered as a section (and as read)."""

    record: SegmentRecord
    view: SectionView
    content: bytes
    # For the charted kinds only (empty otherwise), from the same parse as the view.
    measurements: tuple[Measurement, ...] = ()
    statements: tuple[Statement, ...] = ()

    @classmethod
    def of(cls, record: SegmentRecord, content: bytes) -> SectionRecord:
        """A segment just read, with its rendering (and what charts and tables need)."""
        reading = parse_section(content, entries=record.kind in CHARTED_KINDS)
        return cls(record, reading.view, content, reading.measurements, reading.statements)


@dataclass(frozen=True, slots=True)
class PatientCard:
    """A patient in a clinician's list: who, which kinds are shared, until when."""

    patient_id: uuid.UUID
    display_name: str
    kinds: str
    valid_until: datetime | None
    emergency: bool


def read_sections(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    purpose: Purpose = Purpose.TREATMENT,
    kinds: Collection[SegmentKind] = _SECTION_KINDS,
    *,
    tabled: Collection[int] = (),
) -> list[SectionRecord]:
    """Every current segment (of ``kinds``; never the header) the principal may read,
    read (and audited) and rendered; of the ``tabled`` documents (home readings, shown as
    a table from the series) the charted kinds are left unread."""
    records = current_records(svc, patient_id, _SECTION_KINDS.intersection(kinds))
    skipped = set(tabled)
    records = [r for r in records if r.document_id not in skipped or r.kind not in CHARTED_KINDS]
    return [
        SectionRecord.of(r, c) for r, c in read_permitted(svc, principal, records, purpose=purpose)
    ]


def read_section(
    svc: Services,
    principal: Principal,
    record: SegmentRecord,
    purpose: Purpose = Purpose.TREATMENT,
) -> SectionRecord:
    """One segment read through the decision point and rendered; raises as read_segment."""
    return SectionRecord.of(record, read_segment(svc, principal, record, purpose=purpose))


@dataclass(frozen=True, slots=True)
class SharedVisit:
    """What a one-visit link showed: the sections, whose they are (the patient named this
    doctor, so their name is shown), and the type of each document they come from."""

    sections: tuple[SectionRecord, ...]
    patient_name: str
    document_types: Mapping[int, str | None]


def open_shared_sections(svc: Services, doctor: Principal, token: str) -> SharedVisit:
    """Use a one-visit link once and render what it shares; raises as open_share_link."""
    read = open_share_link(svc, doctor, token)
    sections = tuple(SectionRecord.of(r, c) for r, c in read)
    if not sections:
        return SharedVisit((), "the patient", {})
    patient_id = sections[0].record.patient_id
    documents = {s.record.document_id for s in sections}
    types = {d: t for d, t in type_codes(svc, patient_id).items() if d in documents}
    with svc.db.session() as session:
        name = account_rows.patient_display_name(session, patient_id)
    return SharedVisit(sections, name or "the patient", types)


def summary_from(
    sections: Iterable[SectionRecord],
    *,
    now: datetime,
    days: int = 14,
    zone: ZoneInfo | None = None,
) -> Summary:
    """The chronic-care summary of sections already read (a page that has read them for
    its charts reads nothing again); raises ValueError for days outside 1..3650."""
    points = (
        Point(m.code, m.value, m.unit, m.at, s.record.tracking_id, s.record.kind.value)
        for s in sections
        for m in s.measurements
    )
    return summarise(points, now=now, zone=zone or ZoneInfo("UTC"), days=days)


def export_document(svc: Services, patient: Principal, document_id: int) -> bytes:
    """One of the patient's own stored documents, rebuilt from its segments as CDA XML.

    Every segment is read (and audited) as the patient's own view. The sections come back
    in their canonical form, so the bytes differ from the upload but not the content.
    Raises NotFound when the patient has no stored document with that id.
    """
    patient_id = require_owner(patient)
    records = segment_records(svc, patient_id, document_id=document_id)
    if not records:
        raise NotFound("no such document")
    contents = read_segments(svc, patient, records)
    return rebuild_document(map(as_segment, records, contents))


def save_readings(
    svc: Services, patient: Principal, form: Mapping[str, str], *, zone: tzinfo = UTC
) -> IngestResult:
    """A patient's home readings (form fields, checked one by one) stored like an upload;
    a time written without an offset is one in ``zone`` (the patient's own). Readings in
    the danger zone are named in the result, and the clinicians who may read the
    patient's vital signs are notified.

    Raises InvalidReadings with a message per bad field; nothing is stored then.
    """
    patient_id = require_owner(patient)
    readings = parse_readings(form, now=svc.clock().astimezone(zone))
    document = readings_document(readings, PatientHeader(patient_id), svc.new_uuid())
    stored = store_document(svc, document, patient_id, patient.id)
    # A reading in the danger zone: the clinicians who may see it are told at once.
    signs = readings_danger(readings)
    if stored.created:
        sound_alarms(svc, patient_id, signs)
    return dataclasses.replace(stored, danger=tuple(s.threshold.sign for s in signs))


def write_note(
    svc: Services, clinician: Principal, patient_id: uuid.UUID, text: str, *, order: bool = False
) -> IngestResult:
    """A clinician in the patient's care writes a note or order; it is stored as a
    ``doctor-notes`` segment in the patient's private container.

    Raises AccessDenied without an active care relationship (or a live emergency),
    InvalidReadings for an empty or over-long note.
    """
    author = require_clinician(clinician)
    now = svc.clock()
    with svc.db.session() as session:
        care = relationship(session, patient_id, author)
        in_care = care is not None and care.status == CareStatus.ACTIVE
        allowed = in_care or consent_rows.has_live_emergency(session, patient_id, author, now)
    if not allowed:
        raise AccessDenied(Reason.NOT_IN_CARE)
    note = ClinicianNote(text, now, author, order)
    document = note_document(note, PatientHeader(patient_id), svc.new_uuid())
    result = store_document(svc, document, patient_id, clinician.id)
    if result.created:
        with svc.db.session() as session:
            notify_patient(session, patient_id, "note", f"document:{result.document_id}", now)
    return result


def patients_of(svc: Services, clinician: Principal) -> list[PatientCard]:
    """Patients with a grant in force for the clinician (or caregiver), or a live
    emergency, by name. Raises AccessDenied for anyone but an active clinician or
    caregiver."""
    me = require_carer(clinician)
    now = svc.clock()
    cards: dict[uuid.UUID, PatientCard] = {}
    with svc.db.session() as session:
        for grant, name in consent_rows.active_grants_held(session, me):
            terms = terms_of_grant(grant)
            if terms.in_force(now):
                kinds = (
                    "all but restricted"
                    if terms.kinds is None
                    else ", ".join(kind.label for kind in sorted(terms.kinds))
                )
                cards[grant.patient_id] = PatientCard(
                    grant.patient_id, name, kinds, grant.valid_until, False
                )
        for emergency, name in consent_rows.live_emergencies_of(session, me, now):
            cards.setdefault(
                emergency.patient_id,
                PatientCard(emergency.patient_id, name, "emergency access", emergency.until, True),
            )
    return sorted(cards.values(), key=lambda c: c.display_name.lower())


def research_preview(svc: Services, patient: Principal) -> list[FlatRecord]:
    """What research would get from the patient's released kinds now, de-identified.
    The patient themself only; raises AccessDenied otherwise."""
    patient_id = require_owner(patient)
    chosen = current_records(svc, patient_id, released_kinds(svc, patient, patient_id))
    prepared = deidentify_stored(svc, chosen, reader=patient)
    return [record for p in prepared for record in p.deidentified.records]


def patient_name(svc: Services, viewer: Principal, patient_id: uuid.UUID) -> str:
    """The display name of the patient's account ("a patient" when there is none), as
    ``viewer`` may see it.

    The patient sees their own; a clinician or caregiver the name only when the patient
    let them in: the decision point lets them read something of the patient's now (by a
    grant in force, or in an emergency they declared), or they are in the patient's care
    or invited to it by the patient. Anyone else, who has only the opaque id, gets the
    id's start.
    """
    with svc.db.session() as session:
        if not may_name(session, viewer, patient_id, svc.clock()):
            return anonymous_name(patient_id)
        name = account_rows.patient_display_name(session, patient_id)
    return name or "a patient"


def patient_time_zone(svc: Services, viewer: Principal, patient_id: uuid.UUID) -> ZoneInfo | None:
    """The time zone of the patient's account, where ``viewer`` may see the patient's name
    (see patient_name): a patient's mornings, evenings and days are their own clock's.
    None when the viewer may not, or the patient has chosen none."""
    with svc.db.session() as session:
        if not may_name(session, viewer, patient_id, svc.clock()):
            return None
        name = account_rows.patient_time_zone(session, patient_id)
    return ZoneInfo(name) if name else None
