"""Reading a stored segment back: fetch, check every binding, decrypt, check the hash."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from phr_share.audit import Action, Outcome
from phr_share.crypto import Binding, open_sealed
from phr_share.db import Document, DocumentStatus, StoredSegment
from phr_share.errors import IntegrityError, NotFound, PhrShareError
from phr_share.models import SegmentKind
from phr_share.sharing.audit import record as audit
from phr_share.sharing.keys import patient_key
from phr_share.sharing.services import Services

__all__ = ["SegmentRecord", "find_segment", "read_segment", "record_of", "segments_of"]


@dataclass(frozen=True, slots=True)
class SegmentRecord:
    """What the index knows about one stored segment version (no content)."""

    id: int
    tracking_id: uuid.UUID
    version: int
    patient_id: uuid.UUID
    document_id: int
    kind: SegmentKind
    path: str
    container: str
    object_name: str
    key_id: str
    content_sha256: str
    size: int


def record_of(row: StoredSegment) -> SegmentRecord:
    """The index row as a plain record."""
    return SegmentRecord(
        row.id,
        row.tracking_id,
        row.version,
        row.patient_id,
        row.document_id,
        SegmentKind(row.kind),
        row.path,
        row.container,
        row.object_name,
        row.key_id,
        row.content_sha256,
        row.size,
    )


def find_segment(
    svc: Services, tracking_id: uuid.UUID, version: int | None = None
) -> SegmentRecord:
    """The stored segment with this tracking id (newest version by default); raises NotFound."""
    query = (
        select(StoredSegment)
        .join(Document)
        .where(StoredSegment.tracking_id == tracking_id, Document.status == DocumentStatus.STORED)
        .order_by(StoredSegment.version.desc())
    )
    if version is not None:
        query = query.where(StoredSegment.version == version)
    with svc.db.session() as session:
        row = session.scalars(query).first()
        if row is None:
            raise NotFound("no stored segment has that tracking id")
        return record_of(row)


def segments_of(svc: Services, patient_id: uuid.UUID) -> list[SegmentRecord]:
    """Every stored segment version of a patient, document by document."""
    query = (
        select(StoredSegment)
        .join(Document)
        .where(StoredSegment.patient_id == patient_id, Document.status == DocumentStatus.STORED)
        .order_by(StoredSegment.document_id, StoredSegment.id)
    )
    with svc.db.session() as session:
        return [record_of(row) for row in session.scalars(query)]


def read_segment(svc: Services, record: SegmentRecord, *, actor: str = "system") -> bytes:
    """The segment's canonical XML; IntegrityError for any tampering, KeyErased after erasure.

    Every read is audited, and so is every read that fails.
    """
    try:
        content = _open(svc, record)
    except PhrShareError as error:
        _audit_read(svc, record, actor, Outcome.FAILED, error.code)
        raise
    _audit_read(svc, record, actor, Outcome.OK, None)
    return content


def _audit_read(
    svc: Services, segment: SegmentRecord, actor: str, outcome: Outcome, error: str | None
) -> None:
    details: dict[str, str | int] = {"kind": segment.kind.value, "version": segment.version}
    if error is not None:
        details["error"] = error
    with svc.db.session() as session:
        audit(
            svc,
            session,
            Action.READ,
            actor,
            patient_id=segment.patient_id,
            subject=f"segment:{segment.tracking_id}",
            outcome=outcome,
            details=details,
        )


def _open(svc: Services, record: SegmentRecord) -> bytes:
    with svc.db.session() as session:
        key = patient_key(svc, session, record.patient_id, record.key_id)
    blob = svc.private.get(record.container, record.object_name)
    claimed = blob.metadata.get("key-id", "")
    if claimed != record.key_id:
        raise IntegrityError()
    binding = Binding(record.patient_id, record.tracking_id, record.kind.value, claimed)
    content = open_sealed(blob.data, key, binding)
    # The index's hash also catches an older version replayed under a newer name.
    if not hmac.compare_digest(hashlib.sha256(content).hexdigest(), record.content_sha256):
        raise IntegrityError()
    return content
