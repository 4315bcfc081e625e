"""Patient keys, and what an erasure ends with them.

A live key has its wrapped blob; erasure shreds it (the blob gone, ``destroyed_at``
set), together with the sealed series rows and the account's open care and sign-in.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from phr_share.db.accounts import User
from phr_share.db.consent import CareRelationship
from phr_share.db.tables import PatientKey, SeriesBucket

__all__ = [
    "care_not_ended",
    "delete_series",
    "keys_of",
    "keys_to_rewrap",
    "live_keys",
    "users_of_patient",
    "wraps_live_key",
]


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


def delete_series(session: Session, patient_id: uuid.UUID) -> None:
    """Delete every sealed series bucket of the patient."""
    session.execute(delete(SeriesBucket).where(SeriesBucket.patient_id == patient_id))


def care_not_ended(
    session: Session, patient_id: uuid.UUID, *, ended: str
) -> list[CareRelationship]:
    """The patient's care relationships whose status is not ``ended``."""
    return list(
        session.scalars(
            select(CareRelationship).where(
                CareRelationship.patient_id == patient_id, CareRelationship.status != ended
            )
        )
    )


def users_of_patient(session: Session, patient_id: uuid.UUID) -> list[User]:
    """The accounts that sign in as the patient."""
    return list(session.scalars(select(User).where(User.patient_id == patient_id)))
