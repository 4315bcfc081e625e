"""Care's queries: care relationships, the caregivers in a patient's care, and the
accounts a patient or a caregiver is known by."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.db.accounts import User
from phr_share.db.consent import CareRelationship
from phr_share.models import CareStatus, Role

__all__ = [
    "caregiver_id",
    "caregivers_in_care",
    "open_care_status",
    "open_relationships",
    "patient_account",
    "patient_account_ids",
]


def patient_account_ids(session: Session, patient_id: uuid.UUID) -> Sequence[uuid.UUID]:
    """The ids of every account of the patient with this global id (none: no such patient)."""
    return session.scalars(select(User.id).where(User.patient_id == patient_id)).all()


def patient_account(session: Session, patient_id: uuid.UUID) -> User | None:
    """One account of the patient with this global id, the one their name is taken from."""
    return session.scalars(select(User).where(User.patient_id == patient_id)).first()


def caregiver_id(session: Session, username: str) -> uuid.UUID | None:
    """The id of the caregiver's account with this (normalised) username."""
    return session.scalar(
        select(User.id).where(User.username == username, User.role == Role.CAREGIVER.value)
    )


def open_relationships(
    session: Session,
    *,
    clinician_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
) -> Sequence[CareRelationship]:
    """The care relationships not ended, of a clinician or caregiver and/or of a patient,
    newest first."""
    query = select(CareRelationship).where(CareRelationship.status != CareStatus.ENDED)
    if clinician_id is not None:
        query = query.where(CareRelationship.clinician_id == clinician_id)
    if patient_id is not None:
        query = query.where(CareRelationship.patient_id == patient_id)
    return session.scalars(query.order_by(CareRelationship.id.desc())).all()


def caregivers_in_care(
    session: Session, patient_id: uuid.UUID
) -> Sequence[tuple[CareRelationship, User]]:
    """The active care relationships of a patient with a caregiver, with the caregiver's
    account, oldest first."""
    return (
        session.execute(
            select(CareRelationship, User)
            .join(User, User.id == CareRelationship.clinician_id)
            .where(
                CareRelationship.patient_id == patient_id,
                CareRelationship.status == CareStatus.ACTIVE,
                User.role == Role.CAREGIVER.value,
            )
            .order_by(CareRelationship.id)
        )
        .tuples()
        .all()
    )


def open_care_status(
    session: Session, patient_id: uuid.UUID, carer_id: uuid.UUID
) -> CareStatus | None:
    """The status of the care relationship, not ended, between a patient and a clinician
    or caregiver; None when there is none."""
    status = session.scalar(
        select(CareRelationship.status).where(
            CareRelationship.patient_id == patient_id,
            CareRelationship.clinician_id == carer_id,
            CareRelationship.status != CareStatus.ENDED,
        )
    )
    return None if status is None else CareStatus(status)
