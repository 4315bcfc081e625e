"""Care relationships: a patient invites a clinician, or a clinician asks and the patient accepts.

Ending a relationship revokes the clinician's grants on that patient at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from phr_share.audit import Action
from phr_share.consent import CareStatus, Principal, Role
from phr_share.db import CareRelationship, User
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import care as care_rows
from phr_share.errors import AccessDenied, InvalidState, NotFound
from phr_share.models import Reason
from phr_share.sharing.audit import record as audit
from phr_share.sharing.grants import revoke_grants_of
from phr_share.sharing.guard import require_carer, require_clinician, require_owner
from phr_share.sharing.notices import notify_patient
from phr_share.sharing.parties import anonymous_name, clinician_row, relationship
from phr_share.sharing.services import Services

__all__ = ["CareView", "accept_care", "care_of", "end_care", "invite_clinician", "request_care"]


def invite_clinician(svc: Services, patient: Principal, clinician_id: uuid.UUID) -> int:
    """The patient invites a clinician; accepts at once a request that clinician made.
    Raises AccessDenied for anyone but an active patient."""
    patient_id = require_owner(patient)
    return _open_care(
        svc, patient, patient_id, clinician_id, CareStatus.INVITED, Action.CARE_INVITE
    )


def request_care(svc: Services, clinician: Principal, patient_id: uuid.UUID) -> int:
    """A clinician asks to care for a patient; the patient accepts or not. Raises
    AccessDenied for anyone but an active clinician, NotFound for an unknown patient."""
    clinician_id = require_clinician(clinician)
    return _open_care(
        svc, clinician, patient_id, clinician_id, CareStatus.REQUESTED, Action.CARE_REQUEST
    )


def _open_care(
    svc: Services,
    actor: Principal,
    patient_id: uuid.UUID,
    clinician_id: uuid.UUID,
    status: CareStatus,
    action: Action,
) -> int:
    """One side opens a relationship (``invited`` or ``requested``); if the other side
    already opened one, that is the acceptance and it becomes active."""
    other_side = CareStatus.REQUESTED if status == CareStatus.INVITED else CareStatus.INVITED
    with svc.db.session() as session:
        clinician_row(session, clinician_id)
        if not account_rows.patient_account_ids(session, patient_id):
            raise NotFound("no such patient")
        row = relationship(session, patient_id, clinician_id)
        if row is None:
            row = CareRelationship(
                patient_id=patient_id,
                clinician_id=clinician_id,
                status=status,
                initiated_by=actor.role.value,
                created_at=svc.clock(),
            )
            session.add(row)
        elif row.status == other_side:
            row.status, row.accepted_at = CareStatus.ACTIVE, svc.clock()
        session.flush()
        if row.status == CareStatus.REQUESTED:  # the patient has something to answer
            notify_patient(session, patient_id, "care-request", f"care:{row.id}", svc.clock())
        audit(
            svc,
            session,
            action,
            actor.id,
            patient_id=patient_id,
            subject=f"care:{row.id}",
            details={"status": row.status},
        )
        return row.id


def accept_care(svc: Services, principal: Principal, relationship_id: int) -> None:
    """The other side accepts: the clinician an invitation, the patient a request."""
    with svc.db.session() as session:
        row = session.get(CareRelationship, relationship_id)
        if row is None:
            raise NotFound("no such care relationship")
        if row.status == CareStatus.INVITED:
            allowed = principal.user_id == row.clinician_id
        elif row.status == CareStatus.REQUESTED:
            allowed = principal.role is Role.PATIENT and principal.patient_id == row.patient_id
        else:
            raise InvalidState(f"the care relationship is {row.status}")
        if not allowed or not principal.active:
            raise AccessDenied(Reason.NOT_A_PARTY)
        row.status, row.accepted_at = CareStatus.ACTIVE, svc.clock()
        audit(
            svc,
            session,
            Action.CARE_ACCEPT,
            principal.id,
            patient_id=row.patient_id,
            subject=f"care:{row.id}",
        )


def end_care(svc: Services, principal: Principal, relationship_id: int) -> None:
    """Either side ends the relationship; the clinician's grants on the patient are revoked."""
    with svc.db.session() as session:
        row = session.get(CareRelationship, relationship_id)
        if row is None:
            raise NotFound("no such care relationship")
        is_patient = principal.role is Role.PATIENT and principal.patient_id == row.patient_id
        is_clinician = principal.user_id == row.clinician_id
        if not principal.active or not (is_patient or is_clinician):
            raise AccessDenied(Reason.NOT_A_PARTY)
        if row.status == CareStatus.ENDED:
            return
        row.status, row.ended_at = CareStatus.ENDED, svc.clock()
        audit(
            svc,
            session,
            Action.CARE_REVOKE,
            principal.id,
            patient_id=row.patient_id,
            subject=f"care:{row.id}",
        )
        revoke_grants_of(svc, session, principal, row.patient_id, row.clinician_id)


@dataclass(frozen=True, slots=True)
class CareView:
    """A care relationship as both sides see it."""

    id: int
    patient_id: uuid.UUID
    patient_name: str
    clinician_id: uuid.UUID
    clinician_name: str
    clinician_role: str
    status: CareStatus
    initiated_by: str
    created_at: datetime


def care_of(
    svc: Services, principal: Principal, patient_id: uuid.UUID | None = None
) -> list[CareView]:
    """The open care relationships of a patient or a clinician or caregiver (theirs with
    one patient, given ``patient_id``), newest first."""
    clinician = principal.role is not Role.PATIENT
    me = require_carer(principal) if clinician else require_owner(principal)
    with svc.db.session() as session:
        if clinician:
            rows = care_rows.open_relationships(session, clinician_id=me, patient_id=patient_id)
        else:
            rows = care_rows.open_relationships(session, patient_id=me)
        views = []
        for row in rows:
            doctor = session.get(User, row.clinician_id)
            patient = account_rows.patient_account(session, row.patient_id)
            # A clinician who only asked has not been let in: the id, not the name.
            named = not clinician or row.status in {CareStatus.ACTIVE, CareStatus.INVITED}
            views.append(
                CareView(
                    row.id,
                    row.patient_id,
                    patient.display_name
                    if patient is not None and named
                    else anonymous_name(row.patient_id),
                    row.clinician_id,
                    doctor.display_name if doctor is not None else "-",
                    doctor.role if doctor is not None else "-",
                    CareStatus(row.status),
                    row.initiated_by,
                    row.created_at,
                )
            )
        return views
