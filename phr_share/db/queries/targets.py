"""A patient's targets as set by a clinician: the newest setting holds."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.db.consent import CareTarget

__all__ = ["latest_targets"]


def latest_targets(session: Session, patient_id: uuid.UUID) -> CareTarget | None:
    """The patient's newest targets (of two set at once, the later row), if any were set."""
    return session.scalars(
        select(CareTarget)
        .where(CareTarget.patient_id == patient_id)
        .order_by(CareTarget.set_at.desc(), CareTarget.id.desc())
    ).first()
