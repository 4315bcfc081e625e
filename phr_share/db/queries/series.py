"""A patient's sealed series buckets, and what a series write or rebuild asks of the
documents it follows.

A bucket row changes only if its revision is still the one its writer read: the update
and the delete here say whether they found it so.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from phr_share.db.tables import Document, DocumentStatus, SeriesBucket, StoredSegment
from phr_share.models import SERIES_KINDS, SegmentKind

__all__ = [
    "buckets_of",
    "delete_bucket",
    "delete_buckets",
    "earlier_sources",
    "later_stored",
    "lock_buckets",
    "stored_so_far",
    "update_bucket",
]


def lock_buckets(
    session: Session,
    patient_id: uuid.UUID,
    *,
    kinds: Collection[str] | None = None,
    months: Collection[str] | None = None,
) -> list[SeriesBucket]:
    """The patient's buckets (of these kinds and months, when given), locked for update
    in kind and month order: every writer locks in that order, so two cannot deadlock."""
    query = select(SeriesBucket).where(SeriesBucket.patient_id == patient_id)
    if kinds is not None:
        query = query.where(SeriesBucket.kind.in_(kinds))
    if months is not None:
        query = query.where(SeriesBucket.month.in_(months))
    locked = query.order_by(SeriesBucket.kind, SeriesBucket.month).with_for_update()
    return list(session.scalars(locked))


def buckets_of(
    session: Session, patient_id: uuid.UUID, kinds: Collection[SegmentKind]
) -> list[SeriesBucket]:
    """The patient's buckets of ``kinds``, in kind and month order."""
    query = select(SeriesBucket).where(
        SeriesBucket.patient_id == patient_id,
        SeriesBucket.kind.in_([k.value for k in kinds]),
    )
    return list(session.scalars(query.order_by(SeriesBucket.kind, SeriesBucket.month)))


def update_bucket(
    session: Session,
    bucket_id: int,
    revision: int,
    *,
    new_revision: int,
    points: int,
    key_id: str,
    sealed: bytes,
) -> bool:
    """Write a bucket's next revision; False when it is no longer at ``revision``."""
    moved = session.execute(
        update(SeriesBucket)
        .where(SeriesBucket.id == bucket_id, SeriesBucket.revision == revision)
        .values(revision=new_revision, points=points, key_id=key_id, sealed=sealed)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def delete_bucket(session: Session, bucket_id: int, revision: int) -> bool:
    """Delete a bucket left empty; False when it is no longer at ``revision``."""
    gone = session.execute(
        delete(SeriesBucket).where(SeriesBucket.id == bucket_id, SeriesBucket.revision == revision)
    )
    return bool(gone.rowcount == 1)  # type: ignore[attr-defined]


def delete_buckets(session: Session, patient_id: uuid.UUID) -> None:
    """Delete every bucket of the patient (a rebuild writes them again)."""
    session.execute(delete(SeriesBucket).where(SeriesBucket.patient_id == patient_id))


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
            Document.patient_id == patient_id,
            Document.series == series,
            Document.version > version,
            Document.status == DocumentStatus.STORED,
        )
        .limit(1)
    )
    return found is not None


def stored_so_far(session: Session, patient_id: uuid.UUID) -> tuple[int, int | None]:
    """How many documents of the patient are stored, and the last one's id."""
    count, last = session.execute(
        select(func.count(Document.id), func.max(Document.id)).where(
            Document.patient_id == patient_id, Document.status == DocumentStatus.STORED
        )
    ).one()
    return int(count), last
