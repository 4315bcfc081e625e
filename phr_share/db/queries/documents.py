"""Documents and their stored segments: the ingest journal a pending document is, and
the index the read paths see (no content).

A pending document is held by one ingest attempt at a time: :func:`claim_journal` takes
it over, :func:`end_hold` lets go of it (stored, or left for the next attempt). Only
documents whose ingest finished (``stored``) are read; the current version of a document
is the highest stored version of its series (its CDA set id).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, selectinload

from phr_share.db.tables import Document, DocumentStatus, StoredSegment
from phr_share.models import SERIES_KINDS, SegmentKind

__all__ = [
    "claim_journal",
    "current_segments",
    "current_sources",
    "document_by_content",
    "documents_of",
    "earlier_sources",
    "end_hold",
    "header_segments",
    "insert_segments",
    "later_stored",
    "latest_version",
    "pending_document_ids",
    "record_ciphertexts",
    "rekey_segments",
    "segment_by_tracking_id",
    "segment_count",
    "segments_of",
    "stored_so_far",
    "stored_times",
    "type_codes",
]


# The ingest journal, and what ingest writes of a document's segments.


def document_by_content(session: Session, patient_id: uuid.UUID, digest: str) -> Document | None:
    """The patient's document with these bytes (by content hash), in whatever state."""
    return session.scalar(
        select(Document).where(Document.patient_id == patient_id, Document.content_sha256 == digest)
    )


def latest_version(session: Session, patient_id: uuid.UUID, series: str) -> int | None:
    """The highest version of the patient's document series, None before the first."""
    return session.scalar(
        select(func.max(Document.version)).where(
            Document.patient_id == patient_id, Document.series == series
        )
    )


def pending_document_ids(session: Session) -> list[int]:
    """Every document still pending: a journal some ingest left or still holds."""
    return list(
        session.scalars(select(Document.id).where(Document.status == DocumentStatus.PENDING))
    )


def claim_journal(
    session: Session, document_id: int, attempt: str, *, now: datetime, stale_before: datetime
) -> bool:
    """Hand a pending document to ``attempt`` when no attempt holds it, or the one that
    does took it before ``stale_before``; False otherwise (or when another got it first)."""
    result = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.PENDING,
            or_(Document.attempt.is_(None), Document.attempted_at < stale_before),
        )
        .values(attempt=attempt, attempted_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def end_hold(
    session: Session, document_id: int, attempt: str, *, stored_at: datetime | None
) -> bool:
    """Take ``attempt`` off its pending document, marking it stored when ``stored_at`` is
    given; False when the attempt no longer held it."""
    values: dict[str, object] = {"attempt": None, "attempted_at": None}
    if stored_at is not None:
        values.update(status=DocumentStatus.STORED, stored_at=stored_at)
    result = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.PENDING,
            Document.attempt == attempt,
        )
        .values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def insert_segments(session: Session, rows: Sequence[Mapping[str, object]]) -> None:
    """A document's segment rows, in one INSERT however many (the ORM would send one per
    row to get each row's id back)."""
    session.execute(insert(StoredSegment), rows)


def rekey_segments(session: Session, document_id: int, key_id: str) -> None:
    """Name ``key_id`` as the key of every segment of the document (to be sealed again)."""
    session.execute(
        update(StoredSegment).where(StoredSegment.document_id == document_id).values(key_id=key_id)
    )


def record_ciphertexts(
    session: Session, key_id: str, sealed: Iterable[tuple[uuid.UUID, int, str]]
) -> None:
    """The key and ciphertext hash of each written segment, given as (tracking id,
    version, hash): one statement for every row, each found by that unique pair."""
    params = [
        {"b_tracking": tracking_id, "b_version": version, "b_digest": digest}
        for tracking_id, version, digest in sealed
    ]
    session.connection().execute(
        update(StoredSegment)
        .where(
            StoredSegment.tracking_id == bindparam("b_tracking"),
            StoredSegment.version == bindparam("b_version"),
        )
        .values(key_id=key_id, ciphertext_sha256=bindparam("b_digest")),
        params,
    )


def header_segments(session: Session, document_ids: Collection[int]) -> list[StoredSegment]:
    """The header segment of each of these documents, in one query."""
    return list(
        session.scalars(
            select(StoredSegment).where(
                StoredSegment.document_id.in_(document_ids), StoredSegment.path == "header"
            )
        )
    )


def segment_count(session: Session, patient_id: uuid.UUID) -> int:
    """How many segment rows the patient has, of every document and state."""
    count = session.scalar(
        select(func.count())
        .select_from(StoredSegment)
        .where(StoredSegment.patient_id == patient_id)
    )
    return count or 0


# What a series write or rebuild asks of the documents it follows.


def earlier_sources(
    session: Session, patient_id: uuid.UUID, series: str, version: int
) -> frozenset[uuid.UUID]:
    """The tracking ids of the stored versions before ``version`` of one document."""
    rows = session.scalars(
        select(StoredSegment.tracking_id)
        .join(Document, Document.id == StoredSegment.document_id)
        .where(
            Document.patient_id == patient_id,
            Document.series == series,
            Document.version < version,
            StoredSegment.kind.in_([k.value for k in SERIES_KINDS]),
        )
    )
    return frozenset(rows)


def later_stored(session: Session, patient_id: uuid.UUID, series: str, version: int) -> bool:
    """Whether a version after ``version`` of one document is already stored."""
    found = session.scalar(
        select(Document.id)
        .where(
            *_stored(patient_id),
            Document.series == series,
            Document.version > version,
        )
        .limit(1)
    )
    return found is not None


def stored_so_far(session: Session, patient_id: uuid.UUID) -> tuple[int, int | None]:
    """How many documents of the patient are stored, and the last one's id."""
    count, last = session.execute(
        select(func.count(Document.id), func.max(Document.id)).where(*_stored(patient_id))
    ).one()
    return int(count), last


# The read side: stored documents and the current version of each.


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
