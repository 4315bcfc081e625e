"""Stored documents and segments, as the read paths see them: the index only, no content.

Only documents whose ingest finished (``stored``) count; the current version of a
document is the highest stored version of its series (its CDA set id).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, select
from sqlalchemy.orm import Session, selectinload

from phr_share.db.tables import Document, DocumentStatus, StoredSegment
from phr_share.models import SegmentKind

__all__ = [
    "current_segments",
    "current_sources",
    "documents_of",
    "segment_by_tracking_id",
    "segments_of",
    "stored_times",
    "type_codes",
]


def documents_of(session: Session, patient_id: uuid.UUID) -> list[tuple[Document, bool]]:
    """The patient's stored documents, newest first, their segments loaded, each with
    whether it is the current version of its series."""
    latest = _latest_versions(patient_id)
    query = (
        select(Document, Document.version == latest.c.version)
        .join(latest, Document.series == latest.c.series)
        .where(*_stored(patient_id))
        .options(selectinload(Document.segments))
        .order_by(Document.stored_at.desc(), Document.id.desc())
    )
    return [(row, bool(current)) for row, current in session.execute(query)]


def type_codes(session: Session, patient_id: uuid.UUID) -> dict[int, str | None]:
    """The LOINC type code of each of the patient's stored documents, by id."""
    query = select(Document.id, Document.type_code).where(*_stored(patient_id))
    return {row.id: row.type_code for row in session.execute(query)}


def stored_times(
    session: Session, patient_id: uuid.UUID, documents: Collection[int]
) -> dict[int, datetime]:
    """When each of these stored documents of the patient was stored (else created), by id."""
    query = select(Document.id, Document.stored_at, Document.created_at).where(
        *_stored(patient_id), Document.id.in_(list(documents))
    )
    return {row.id: row.stored_at or row.created_at for row in session.execute(query)}


def segment_by_tracking_id(
    session: Session, tracking_id: uuid.UUID, version: int | None = None
) -> StoredSegment | None:
    """The stored segment with this tracking id: that version, else the newest."""
    query = (
        select(StoredSegment)
        .join(Document)
        .where(StoredSegment.tracking_id == tracking_id, Document.status == DocumentStatus.STORED)
        .order_by(StoredSegment.version.desc())
    )
    if version is not None:
        query = query.where(StoredSegment.version == version)
    return session.scalars(query).first()


def segments_of(
    session: Session,
    patient_id: uuid.UUID,
    kinds: Collection[SegmentKind] | None = None,
    *,
    document_id: int | None = None,
) -> list[StoredSegment]:
    """Every stored segment version of the patient (of ``kinds``; of one document when
    ``document_id`` is given), document by document."""
    query = _segments(patient_id, kinds)
    if document_id is not None:
        query = query.where(StoredSegment.document_id == document_id)
    return list(session.scalars(query))


def current_segments(
    session: Session,
    patient_id: uuid.UUID,
    kinds: Collection[SegmentKind] | None = None,
    *,
    documents: Collection[int] | None = None,
) -> list[StoredSegment]:
    """The segments of the current version of each of the patient's documents (of
    ``kinds``; of the ``documents`` with these ids when given), document by document."""
    latest = _latest_versions(patient_id)
    query = _segments(patient_id, kinds).join(
        latest,
        and_(Document.series == latest.c.series, Document.version == latest.c.version),
    )
    if documents is not None:
        query = query.where(StoredSegment.document_id.in_(list(documents)))
    return list(session.scalars(query))


def current_sources(
    session: Session, patient_id: uuid.UUID, kinds: Collection[SegmentKind], type_code: str
) -> dict[uuid.UUID, int]:
    """The tracking id of each current segment (of ``kinds``) of the patient's documents
    of one LOINC type, with its document's id."""
    latest = _latest_versions(patient_id)
    query = (
        select(StoredSegment.tracking_id, StoredSegment.document_id)
        .join(Document)
        .join(
            latest,
            and_(Document.series == latest.c.series, Document.version == latest.c.version),
        )
        .where(
            StoredSegment.patient_id == patient_id,
            *_stored(patient_id),
            Document.type_code == type_code,
            StoredSegment.kind.in_([kind.value for kind in kinds]),
        )
    )
    return {row.tracking_id: row.document_id for row in session.execute(query)}


def _stored(patient_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    """The patient's documents that are stored (not a pending or cut-off ingest)."""
    return Document.patient_id == patient_id, Document.status == DocumentStatus.STORED


def _latest_versions(patient_id: uuid.UUID) -> Subquery:
    """The current version of each of the patient's documents: per series (CDA set id),
    the highest stored version (columns ``series``, ``version``)."""
    return (
        select(Document.series, func.max(Document.version).label("version"))
        .where(*_stored(patient_id))
        .group_by(Document.series)
        .subquery()
    )


def _segments(
    patient_id: uuid.UUID, kinds: Collection[SegmentKind] | None
) -> Select[tuple[StoredSegment]]:
    """The query of a patient's stored segments (of ``kinds``), document by document."""
    query = (
        select(StoredSegment)
        .join(Document)
        .where(StoredSegment.patient_id == patient_id, *_stored(patient_id))
        .order_by(StoredSegment.document_id, StoredSegment.id)
    )
    if kinds is not None:
        query = query.where(StoredSegment.kind.in_([kind.value for kind in kinds]))
    return query
