"""Who may stand where in consent: the patient, clinicians, caregivers, care relationships."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from phr_share.consent import CLINICIANS, Role
from phr_share.db import CareRelationship, Session, User
from phr_share.db.queries import care as care_rows
from phr_share.errors import InvalidInput, NotFound

__all__ = [
    "anonymous_name",
    "clinician_row",
    "relationship",
]


def clinician_row(
    session: Session, user_id: uuid.UUID, roles: Collection[Role] = CLINICIANS
) -> User:
    """An active account row of one of ``roles`` (a doctor's or nurse's by default);
    raises NotFound or InvalidInput."""
    row = session.get(User, user_id)
    if row is None or not row.active:
        raise NotFound("no such account")
    if Role(row.role) not in roles:
        if roles == {Role.CAREGIVER}:
            raise InvalidInput("that account is not a caregiver's")
        raise InvalidInput("only a doctor or a nurse can be in a patient's care")
    return row


def relationship(
    session: Session, patient_id: uuid.UUID, clinician_id: uuid.UUID
) -> CareRelationship | None:
    """The open (not ended) care relationship between a patient and a clinician."""
    return care_rows.open_relationship(session, patient_id, clinician_id)


def anonymous_name(patient_id: uuid.UUID) -> str:
    """How a patient is named to someone they have not let in: the id's first part."""
    return f"Patient {str(patient_id)[:8]}"
