"""A patient's sealed series buckets (what a series write or rebuild asks of the
documents it follows is in :mod:`phr_share.db.queries.documents`).

A bucket row changes only if its revision is still the one its writer read: the update
and the delete here say whether they found it so.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from phr_share.db.tables import SeriesBucket
from phr_share.models import SegmentKind

__all__ = [
    "buckets_of",
    "delete_bucket",
    "delete_buckets",
    "lock_buckets",
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
