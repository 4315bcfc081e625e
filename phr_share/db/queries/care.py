"""Care's queries: the care relationships between patients and their clinicians or
caregivers. An open relationship is one not ended (invited, requested or active)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.db.accounts import User
from phr_share.db.consent import CareRelationship
from phr_share.models import CareStatus, Role

__all__ = [
    "caregivers_in_care",
    "open_relationship",
    "open_relationships",
    "quiet_carers",
]


def open_relationship(
    session: Session, patient_id: uuid.UUID, clinician_id: uuid.UUID
) -> CareRelationship | None:
    """The open care relationship between a patient and a clinician or caregiver."""
    return session.scalars(
        select(CareRelationship).where(
            CareRelationship.patient_id == patient_id,
            CareRelationship.clinician_id == clinician_id,
            CareRelationship.status != CareStatus.ENDED,
        )
    ).first()


def open_relationships(
    session: Session,
    *,
    clinician_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
) -> Sequence[CareRelationship]:
    """The open care relationships of a clinician or caregiver and/or of a patient,
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


def quiet_carers(session: Session, patient_id: uuid.UUID) -> set[uuid.UUID]:
    """The carers in an active care relationship with the patient whom the patient chose
    not to tell of a reading in the danger zone."""
    return set(
        session.scalars(
            select(CareRelationship.clinician_id).where(
                CareRelationship.patient_id == patient_id,
                CareRelationship.status == CareStatus.ACTIVE,
                CareRelationship.danger_notices.is_(False),
            )
        ).all()
    )
