"""What the decision point loads about one patient: the grants, emergencies and
sensitivity overrides that bear on a request. What the patient releases for research is
in :mod:`phr_share.db.queries.releases`."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.db.consent import Emergency, Grant, SensitivityOverride

__all__ = ["emergencies_by", "grants_to", "sensitivity_overrides"]


def grants_to(session: Session, patient_id: uuid.UUID, grantee_id: uuid.UUID) -> list[Grant]:
    """Every grant, in any status, the patient gave this grantee."""
    return list(
        session.scalars(
            select(Grant).where(Grant.patient_id == patient_id, Grant.grantee_id == grantee_id)
        )
    )


def emergencies_by(
    session: Session, patient_id: uuid.UUID, clinician_id: uuid.UUID
) -> list[Emergency]:
    """Every emergency access this clinician declared for the patient, over or not."""
    return list(
        session.scalars(
            select(Emergency).where(
                Emergency.patient_id == patient_id, Emergency.clinician_id == clinician_id
            )
        )
    )


def sensitivity_overrides(session: Session, patient_id: uuid.UUID) -> list[SensitivityOverride]:
    """The sensitivity levels the patient set on kinds of their data."""
    return list(
        session.scalars(
            select(SensitivityOverride).where(SensitivityOverride.patient_id == patient_id)
        )
    )
