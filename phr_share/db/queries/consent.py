"""Consent's queries: grants and their history, sensitivity overrides, share links and
emergencies.

Where a question is asked about the patient's account too (the name a clinician's list
shows), it joins the account in; a patient without an account is then left out.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from phr_share.db.accounts import User
from phr_share.db.consent import Emergency, Grant, GrantEvent, SensitivityOverride, ShareLink
from phr_share.models import GrantStatus

__all__ = [
    "active_grants_held",
    "active_grants_to",
    "claim_link",
    "emergencies_by",
    "emergencies_on",
    "grant_events",
    "grantees_of",
    "grants_between",
    "grants_of_patient",
    "has_live_emergency",
    "link_by_digest",
    "links_of_patient",
    "live_emergencies_of",
    "live_grants_between",
    "live_twin",
    "sensitivity_overrides",
    "unreviewed_emergencies",
]


def live_twin(session: Session, grant: Grant) -> Grant | None:
    """The stored grant with the same patient, grantee, purpose, status and terms as ``grant``."""
    return session.scalars(
        select(Grant).where(
            Grant.patient_id == grant.patient_id,
            Grant.grantee_id == grant.grantee_id,
            Grant.purpose == grant.purpose,
            Grant.status == grant.status,
            Grant.terms_sha256 == grant.terms_sha256,
        )
    ).first()


def grants_of_patient(session: Session, patient_id: uuid.UUID) -> Sequence[Grant]:
    """Every grant on a patient, whatever its status, oldest first."""
    return session.scalars(
        select(Grant).where(Grant.patient_id == patient_id).order_by(Grant.id)
    ).all()


def grant_events(session: Session, grant_ids: Collection[int]) -> Sequence[GrantEvent]:
    """The history of these grants, oldest step first."""
    return session.scalars(
        select(GrantEvent).where(GrantEvent.grant_id.in_(grant_ids)).order_by(GrantEvent.id)
    ).all()


def grants_between(
    session: Session, patient_id: uuid.UUID, grantee_id: uuid.UUID
) -> Sequence[Grant]:
    """Every grant, in any status, the patient gave this grantee."""
    return session.scalars(
        select(Grant).where(Grant.patient_id == patient_id, Grant.grantee_id == grantee_id)
    ).all()


def live_grants_between(
    session: Session, patient_id: uuid.UUID, grantee_id: uuid.UUID
) -> Sequence[Grant]:
    """A grantee's active and pending grants on a patient."""
    return session.scalars(
        select(Grant).where(
            Grant.patient_id == patient_id,
            Grant.grantee_id == grantee_id,
            Grant.status.in_([GrantStatus.ACTIVE.value, GrantStatus.PENDING.value]),
        )
    ).all()


def active_grants_to(
    session: Session, patient_id: uuid.UUID, grantee_ids: Collection[uuid.UUID]
) -> Sequence[Grant]:
    """The active grants on a patient to any of these grantees (in force or not)."""
    return session.scalars(
        select(Grant).where(
            Grant.patient_id == patient_id,
            Grant.grantee_id.in_(grantee_ids),
            Grant.status == GrantStatus.ACTIVE.value,
        )
    ).all()


def active_grants_held(session: Session, grantee_id: uuid.UUID) -> Sequence[Row[tuple[Grant, str]]]:
    """Every active grant the grantee holds, on any patient, with the display name of the
    patient's account."""
    return session.execute(
        select(Grant, User.display_name)
        .join(User, User.patient_id == Grant.patient_id)
        .where(Grant.grantee_id == grantee_id, Grant.status == GrantStatus.ACTIVE.value)
    ).all()


def grantees_of(session: Session, patient_id: uuid.UUID) -> Sequence[uuid.UUID]:
    """Everyone the patient ever granted anything, whatever the grant's state, once each."""
    return session.scalars(
        select(Grant.grantee_id).where(Grant.patient_id == patient_id).distinct()
    ).all()


def sensitivity_overrides(session: Session, patient_id: uuid.UUID) -> Sequence[SensitivityOverride]:
    """The levels a patient set themself, one row per kind."""
    return session.scalars(
        select(SensitivityOverride).where(SensitivityOverride.patient_id == patient_id)
    ).all()


def link_by_digest(session: Session, digest: str) -> ShareLink | None:
    """The share link whose token has this SHA-256."""
    return session.scalars(select(ShareLink).where(ShareLink.digest == digest)).first()


def claim_link(session: Session, link_id: int, now: datetime) -> bool:
    """Mark a share link used at ``now`` in one update; False if it was used already."""
    result = session.execute(
        update(ShareLink)
        .where(ShareLink.id == link_id, ShareLink.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def links_of_patient(session: Session, patient_id: uuid.UUID) -> Sequence[ShareLink]:
    """A patient's share links, used, expired and revoked ones too, newest first."""
    return session.scalars(
        select(ShareLink).where(ShareLink.patient_id == patient_id).order_by(ShareLink.id.desc())
    ).all()


def emergencies_on(session: Session, patient_id: uuid.UUID) -> Sequence[Emergency]:
    """Every emergency declared on a patient's record, newest first."""
    return session.scalars(
        select(Emergency).where(Emergency.patient_id == patient_id).order_by(Emergency.id.desc())
    ).all()


def emergencies_by(
    session: Session, patient_id: uuid.UUID, clinician_id: uuid.UUID
) -> Sequence[Emergency]:
    """Every emergency this clinician declared on the patient's record, over or not."""
    return session.scalars(
        select(Emergency).where(
            Emergency.patient_id == patient_id, Emergency.clinician_id == clinician_id
        )
    ).all()


def has_live_emergency(
    session: Session, patient_id: uuid.UUID, clinician_id: uuid.UUID, now: datetime
) -> bool:
    """Whether the clinician declared an emergency on the patient that runs past ``now``."""
    query = select(Emergency.id).where(
        Emergency.patient_id == patient_id,
        Emergency.clinician_id == clinician_id,
        Emergency.until > now,
    )
    return session.scalar(query.limit(1)) is not None


def live_emergencies_of(
    session: Session, clinician_id: uuid.UUID, now: datetime
) -> Sequence[Row[tuple[Emergency, str]]]:
    """Every emergency the clinician declared, on any patient, that runs past ``now``, with
    the display name of the patient's account."""
    return session.execute(
        select(Emergency, User.display_name)
        .join(User, User.patient_id == Emergency.patient_id)
        .where(Emergency.clinician_id == clinician_id, Emergency.until > now)
    ).all()


def unreviewed_emergencies(session: Session) -> Sequence[Emergency]:
    """The emergencies no admin has reviewed yet, oldest first."""
    return session.scalars(
        select(Emergency).where(Emergency.reviewed_at.is_(None)).order_by(Emergency.id)
    ).all()
