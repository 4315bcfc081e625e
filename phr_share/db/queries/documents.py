"""Documents, their stored segments, and the ingest journal a pending document is.

A pending document is held by one ingest attempt at a time: :func:`claim_journal` takes
it over, :func:`end_hold` lets go of it (stored, or left for the next attempt).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from phr_share.db.tables import Document, DocumentStatus, StoredSegment

__all__ = [
    "claim_journal",
    "document_by_content",
    "end_hold",
    "header_segments",
    "insert_segments",
    "latest_version",
    "pending_document_ids",
    "record_ciphertexts",
    "rekey_segments",
    "segment_count",
]


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
