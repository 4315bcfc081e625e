"""Research release: the patients' choices, the release runs and what each published.

A kind is released while its patient's choice of it is not withdrawn; that rule is
written once, in :func:`_not_withdrawn`, and every query here that asks what is released
builds on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from phr_share.db.tables import (
    Document,
    DocumentStatus,
    Patient,
    Release,
    ReleaseChoice,
    ReleaseItem,
    StoredSegment,
)
from phr_share.models import ItemOutcome, ReleaseStatus

__all__ = [
    "choices_in_force",
    "pending_release_ids",
    "released_kinds",
    "waiting_segments",
]


def _not_withdrawn() -> ColumnElement[bool]:
    """A choice releases its kind until it is withdrawn."""
    return ReleaseChoice.withdrawn_at.is_(None)


def released_kinds(session: Session, patient_id: uuid.UUID) -> frozenset[str]:
    """The kinds the patient releases for research now."""
    kinds = session.scalars(
        select(ReleaseChoice.kind).where(ReleaseChoice.patient_id == patient_id, _not_withdrawn())
    )
    return frozenset(kinds)


def choices_in_force(session: Session, patient_id: uuid.UUID) -> list[ReleaseChoice]:
    """The patient's choices that release a kind now (none of them withdrawn)."""
    return list(
        session.scalars(
            select(ReleaseChoice).where(ReleaseChoice.patient_id == patient_id, _not_withdrawn())
        )
    )


def waiting_segments(session: Session, kinds: Collection[str]) -> list[StoredSegment]:
    """Stored segments of ``kinds`` their patient (not erased) releases that no published
    release settled (published, or found no data in), by document and id: a suppressed
    one waits for the next run."""
    settled = [ItemOutcome.PUBLISHED, ItemOutcome.NO_DATA]
    done = (
        select(ReleaseItem.segment_id)
        .join(Release)
        .where(Release.status == ReleaseStatus.PUBLISHED, ReleaseItem.outcome.in_(settled))
    )
    query = (
        select(StoredSegment)
        .join(Document)
        .join(Patient, Patient.id == StoredSegment.patient_id)
        .join(
            ReleaseChoice,
            (ReleaseChoice.patient_id == StoredSegment.patient_id)
            & (ReleaseChoice.kind == StoredSegment.kind),
        )
        .where(
            Document.status == DocumentStatus.STORED,
            Patient.erased_at.is_(None),
            _not_withdrawn(),
            StoredSegment.kind.in_(kinds),
            StoredSegment.id.not_in(done),
        )
        .order_by(StoredSegment.document_id, StoredSegment.id)
    )
    return list(session.scalars(query))


def pending_release_ids(session: Session) -> list[uuid.UUID]:
    """The ids of every release run still pending (running, or cut off half-way)."""
    query = select(Release.id).where(Release.status == ReleaseStatus.PENDING)
    return list(session.scalars(query))
