"""Patient keys: a live key has its wrapped blob; erasure shreds it (the blob gone,
``destroyed_at`` set)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.db.tables import PatientKey

__all__ = ["keys_of", "keys_to_rewrap", "live_keys", "wraps_live_key"]


def keys_of(session: Session, patient_id: uuid.UUID) -> list[PatientKey]:
    """Every key the patient ever had, live or shredded."""
    return list(session.scalars(select(PatientKey).where(PatientKey.patient_id == patient_id)))


def live_keys(session: Session, patient_id: uuid.UUID) -> list[PatientKey]:
    """The patient's keys not shredded yet."""
    return list(
        session.scalars(
            select(PatientKey).where(
                PatientKey.patient_id == patient_id, PatientKey.wrapped.is_not(None)
            )
        )
    )


def keys_to_rewrap(session: Session, version: str) -> list[PatientKey]:
    """Every live key of any patient wrapped by a master key version other than ``version``."""
    return list(
        session.scalars(
            select(PatientKey).where(
                PatientKey.wrapped.is_not(None), PatientKey.master_version != version
            )
        )
    )


def wraps_live_key(session: Session, version: str) -> bool:
    """Whether the master key ``version`` still wraps some live patient key."""
    in_use = session.scalars(
        select(PatientKey.key_id).where(
            PatientKey.master_version == version, PatientKey.wrapped.is_not(None)
        )
    ).first()
    return in_use is not None
