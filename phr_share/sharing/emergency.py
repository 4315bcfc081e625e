"""Break-glass: a clinician without a grant declares an emergency with a written reason.

Access opens for a time box (4 hours by default) to every kind but the very restricted
ones; each read under it is flagged in the audit log; the patient is notified; the
declaration waits in the admins' review queue until someone reviews it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from phr_share.audit import Action
from phr_share.consent import Principal, Role
from phr_share.db import Emergency
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import consent as consent_rows
from phr_share.errors import InvalidInput, InvalidState, NotFound
from phr_share.models import user_id_text
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_clinician, require_owner_or_steward, require_role
from phr_share.sharing.notices import notify
from phr_share.sharing.services import Services

__all__ = [
    "EmergencyAccess",
    "declare_emergency",
    "emergencies_of",
    "review_emergency",
    "review_queue",
]

EMERGENCY_TTL = timedelta(hours=4)
REVIEW_OUTCOMES = frozenset({"justified", "unjustified"})


@dataclass(frozen=True, slots=True)
class EmergencyAccess:
    """A break-glass declaration as the patient and the reviewing admin see it."""

    id: int
    patient_id: uuid.UUID
    clinician: str
    reason: str
    started_at: datetime
    until: datetime
    reviewed_at: datetime | None
    review_outcome: str | None


def _view(row: Emergency) -> EmergencyAccess:
    return EmergencyAccess(
        row.id,
        row.patient_id,
        user_id_text(row.clinician_id),
        row.reason,
        row.started_at,
        row.until,
        row.reviewed_at,
        row.review_outcome,
    )


def declare_emergency(
    svc: Services,
    clinician: Principal,
    patient_id: uuid.UUID,
    reason: str,
    *,
    duration: timedelta = EMERGENCY_TTL,
) -> EmergencyAccess:
    """Open emergency access for ``duration``; raises InvalidInput without a real reason,
    AccessDenied for anyone but an active clinician, NotFound for an unknown patient."""
    clinician_id = require_clinician(clinician)
    reason = reason.strip()
    if not 10 <= len(reason) <= 2000:
        raise InvalidInput("an emergency needs a written reason of 10 to 2000 characters")
    if not timedelta(0) < duration <= timedelta(hours=24):
        raise InvalidInput("emergency access lasts between a moment and 24 hours")
    now = svc.clock()
    with svc.db.session() as session:
        owners = account_rows.patient_account_ids(session, patient_id)
        if not owners:
            raise NotFound("no such patient")
        row = Emergency(
            patient_id=patient_id,
            clinician_id=clinician_id,
            reason=reason,
            started_at=now,
            until=now + duration,
        )
        session.add(row)
        session.flush()
        notify(session, owners, "break-glass", f"emergency:{row.id}", now)
        # The reason stays in its table; the log holds ids and codes only.
        audit(
            svc,
            session,
            Action.EMERGENCY_DECLARE,
            clinician.id,
            patient_id=patient_id,
            subject=f"emergency:{row.id}",
            details={"emergency": 1, "until": row.until.isoformat()},
        )
        return _view(row)


def emergencies_of(
    svc: Services, principal: Principal, patient_id: uuid.UUID
) -> list[EmergencyAccess]:
    """Every emergency declared on a patient's record, newest first: for the patient, an
    admin or the operator; raises AccessDenied for anyone else."""
    require_owner_or_steward(principal, patient_id)
    with svc.db.session() as session:
        rows = consent_rows.emergencies_on(session, patient_id)
        return [_view(row) for row in rows]


def review_queue(svc: Services, admin: Principal) -> list[EmergencyAccess]:
    """Declarations not yet reviewed, oldest first. Admins only: raises AccessDenied."""
    require_role(admin, Role.ADMIN)
    with svc.db.session() as session:
        rows = consent_rows.unreviewed_emergencies(session)
        return [_view(row) for row in rows]


def review_emergency(svc: Services, admin: Principal, emergency_id: int, outcome: str) -> None:
    """An admin records a review (``justified`` or ``unjustified``); it leaves the queue.
    Raises AccessDenied for anyone but an admin."""
    reviewer = require_role(admin, Role.ADMIN).user_id
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidInput("a review is 'justified' or 'unjustified'")
    with svc.db.session() as session:
        row = session.get(Emergency, emergency_id)
        if row is None:
            raise NotFound("no such emergency")
        if row.reviewed_at is not None:
            raise InvalidState("that emergency was already reviewed")
        row.reviewed_at, row.reviewed_by, row.review_outcome = svc.clock(), reviewer, outcome
        audit(
            svc,
            session,
            Action.EMERGENCY_REVIEW,
            admin.id,
            patient_id=row.patient_id,
            subject=f"emergency:{row.id}",
            details={"outcome": outcome},
        )
