"""A patient's targets: the blood pressure to stay under and the glucose range to stay in.

A clinician in the patient's care whose grant covers vital signs sets them (the decision
point decides, as for a read of vital signs); the patient sees who set them and when;
every change is audited and told to the patient. Until someone sets them, the usual
targets hold: under 130/80 mmHg, and 70-180 mg/dL, the consensus range for time in range.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from phr_share.audit import Action
from phr_share.consent import CareStatus, Principal, Purpose, Role
from phr_share.db import CareTarget, Session, User
from phr_share.db.queries import targets as target_rows
from phr_share.errors import AccessDenied, InvalidInput
from phr_share.models import Reason, SegmentKind
from phr_share.sharing.access import authorize
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_clinician
from phr_share.sharing.notices import notify_patient
from phr_share.sharing.parties import relationship
from phr_share.sharing.services import Services

__all__ = ["DEFAULT_TARGETS", "TARGET_LIMITS", "Targets", "set_targets", "targets_of"]

# The ends a target may be set between: wide enough for any patient, narrow enough that
# a slip of the keyboard (1300 for 130) is refused.
TARGET_LIMITS = {
    "systolic": (90, 200),
    "diastolic": (50, 130),
    "glucose_low": (50, 150),
    "glucose_high": (100, 300),
}


@dataclass(frozen=True, slots=True)
class Targets:
    """Blood pressure to stay under (systolic/diastolic, mmHg) and the glucose range to
    stay in (mg/dL); who set them and when (None for the usual targets)."""

    systolic: int = 130
    diastolic: int = 80
    glucose_low: int = 70
    glucose_high: int = 180
    set_by: str | None = None  # the clinician's name
    set_at: datetime | None = None

    @property
    def pressure(self) -> tuple[int, int]:
        """The blood-pressure target as (systolic, diastolic)."""
        return self.systolic, self.diastolic


DEFAULT_TARGETS = Targets()


def targets_of(svc: Services, principal: Principal, patient_id: uuid.UUID) -> Targets:
    """The patient's targets, for the patient or a reader the decision point lets read
    their vital signs; raises AccessDenied for anyone else."""
    with svc.db.session() as session:
        if not _may_see(session, svc, principal, patient_id):
            raise AccessDenied(Reason.KIND_NOT_GRANTED)
        return _current(session, patient_id)


def set_targets(
    svc: Services,
    clinician: Principal,
    patient_id: uuid.UUID,
    *,
    systolic: int,
    diastolic: int,
    glucose_low: int,
    glucose_high: int,
) -> Targets:
    """A clinician in the patient's care, whose grant covers vital signs, sets the
    targets; audited, and the patient is told. Raises AccessDenied otherwise, and
    InvalidInput for a target outside TARGET_LIMITS or a range upside down."""
    author = require_clinician(clinician)
    values = {
        "systolic": systolic,
        "diastolic": diastolic,
        "glucose_low": glucose_low,
        "glucose_high": glucose_high,
    }
    _check(values)
    now = svc.clock()
    with svc.db.session() as session:
        care = relationship(session, patient_id, author)
        if care is None or care.status != CareStatus.ACTIVE:
            raise AccessDenied(Reason.NOT_A_PARTY)
        if not _permits_vitals(session, clinician, patient_id, now):
            raise AccessDenied(Reason.KIND_NOT_GRANTED)
        session.add(CareTarget(patient_id=patient_id, set_by=author, set_at=now, **values))
        audit(
            svc,
            session,
            Action.TARGETS_SET,
            clinician.id,
            patient_id=patient_id,
            details={k: str(v) for k, v in values.items()},
        )
        notify_patient(session, patient_id, "targets", "care-targets", now)
        session.flush()
        return _current(session, patient_id)


def _check(values: dict[str, int]) -> None:
    for name, value in values.items():
        low, high = TARGET_LIMITS[name]
        if not low <= value <= high:
            raise InvalidInput(f"{name.replace('_', ' ')} must be from {low} to {high}")
    if values["diastolic"] >= values["systolic"]:
        raise InvalidInput("the diastolic target must be lower than the systolic one")
    if values["glucose_low"] >= values["glucose_high"]:
        raise InvalidInput("the low end of the glucose range must be below its high end")


def _permits_vitals(
    session: Session, principal: Principal, patient_id: uuid.UUID, now: datetime
) -> bool:
    kind = SegmentKind.PHYSICAL_SIGNS
    return authorize(session, principal, patient_id, [kind], Purpose.TREATMENT, now)[kind].permit


def _may_see(session: Session, svc: Services, principal: Principal, patient_id: uuid.UUID) -> bool:
    if principal.role is Role.PATIENT:
        return principal.active and principal.patient_id == patient_id
    return _permits_vitals(session, principal, patient_id, svc.clock())


def _current(session: Session, patient_id: uuid.UUID) -> Targets:
    row = target_rows.latest_targets(session, patient_id)
    if row is None:
        return DEFAULT_TARGETS
    author = session.get(User, row.set_by)
    return Targets(
        row.systolic,
        row.diastolic,
        row.glucose_low,
        row.glucose_high,
        author.display_name if author is not None else None,
        row.set_at,
    )
