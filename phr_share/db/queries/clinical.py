"""The clinician's side of a record: the patients a clinician or caregiver may list, a
patient's name and clock, running emergencies, and who is told of a reading in the
danger zone. A status is passed in as the use cases spell it (the consent vocabulary).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from phr_share.db.accounts import User
from phr_share.db.consent import CareRelationship, Emergency, Grant

__all__ = [
    "display_name",
    "grantees_of",
    "grants_to",
    "live_emergencies_of",
    "live_emergency",
    "quiet_carers",
    "time_zone",
    "users",
]


def display_name(session: Session, patient_id: uuid.UUID) -> str | None:
    """The display name of the patient's account (None when the patient has none)."""
    return session.scalar(select(User.display_name).where(User.patient_id == patient_id))


def time_zone(session: Session, patient_id: uuid.UUID) -> str | None:
    """The time zone the patient's account chose (None when none, or no account)."""
    return session.scalar(select(User.time_zone).where(User.patient_id == patient_id))


def grants_to(
    session: Session, grantee_id: uuid.UUID, status: str
) -> Sequence[Row[tuple[Grant, str]]]:
    """Every grant to the grantee in ``status``, with the display name of the patient's
    account (a patient without an account is left out)."""
    return session.execute(
        select(Grant, User.display_name)
        .join(User, User.patient_id == Grant.patient_id)
        .where(Grant.grantee_id == grantee_id, Grant.status == status)
    ).all()


def live_emergencies_of(
    session: Session, clinician_id: uuid.UUID, now: datetime
) -> Sequence[Row[tuple[Emergency, str]]]:
    """Every emergency the clinician declared that runs past ``now``, with the display
    name of the patient's account (a patient without an account is left out)."""
    return session.execute(
        select(Emergency, User.display_name)
        .join(User, User.patient_id == Emergency.patient_id)
        .where(Emergency.clinician_id == clinician_id, Emergency.until > now)
    ).all()


def live_emergency(
    session: Session, patient_id: uuid.UUID, clinician_id: uuid.UUID, now: datetime
) -> bool:
    """Whether the clinician declared an emergency on the patient that runs past ``now``."""
    query = select(Emergency.id).where(
        Emergency.patient_id == patient_id,
        Emergency.clinician_id == clinician_id,
        Emergency.until > now,
    )
    return session.scalar(query.limit(1)) is not None


def grantees_of(session: Session, patient_id: uuid.UUID) -> Sequence[uuid.UUID]:
    """Everyone the patient ever granted anything, whatever the grant's state, once each."""
    return session.scalars(
        select(Grant.grantee_id).where(Grant.patient_id == patient_id).distinct()
    ).all()


def quiet_carers(session: Session, patient_id: uuid.UUID, status: str) -> set[uuid.UUID]:
    """The carers in a care relationship with the patient in ``status`` whom the patient
    chose not to tell of a reading in the danger zone."""
    return set(
        session.scalars(
            select(CareRelationship.clinician_id).where(
                CareRelationship.patient_id == patient_id,
                CareRelationship.status == status,
                CareRelationship.danger_notices.is_(False),
            )
        ).all()
    )


def users(session: Session, user_ids: Collection[uuid.UUID]) -> Sequence[User]:
    """The accounts with these ids (in no particular order)."""
    return session.scalars(select(User).where(User.id.in_(user_ids))).all()
