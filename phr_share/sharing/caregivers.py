"""Family and caregivers: someone the patient asks in to follow their readings.

A caregiver has their own account (signed up as one), is asked in by the patient by
username and is in the patient's care at once: the patient's choice is the consent,
and the grant made with it names the kinds they may read. The decision point lets a
caregiver read by grant alone (never under an emergency, a one-visit link or for
research), they write nothing into the record, and every read is audited and shown to
the patient like anyone's. The patient chooses whether they are told of a reading in
the danger zone, and removes them in one step (their grants are revoked with it).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from phr_share.audit import Action
from phr_share.consent import CareStatus, GrantStatus, Principal, Purpose, Role
from phr_share.db import CareRelationship, Grant
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import care as care_rows
from phr_share.db.queries import consent as consent_rows
from phr_share.errors import InvalidInput, InvalidState, NotFound
from phr_share.models import SegmentKind
from phr_share.sharing.access import terms_of_grant
from phr_share.sharing.audit import record as audit
from phr_share.sharing.grants import add_grant
from phr_share.sharing.guard import require_owner
from phr_share.sharing.notices import notify
from phr_share.sharing.parties import clinician_row, relationship
from phr_share.sharing.services import Services

__all__ = [
    "CAREGIVER_KINDS",
    "Caregiver",
    "caregivers_of",
    "invite_caregiver",
    "set_danger_notices",
]

# What a caregiver is offered to follow, ticked by default: the readings at home.
CAREGIVER_KINDS = (
    SegmentKind.PHYSICAL_SIGNS,
    SegmentKind.BODY_MEASURES,
    SegmentKind.HEALTH_STATUS,
    SegmentKind.LIFESTYLE,
    SegmentKind.PATIENT_NARRATIVE,
)


@dataclass(frozen=True, slots=True)
class Caregiver:
    """A caregiver in the patient's care, as the patient sees them."""

    relationship_id: int
    user_id: uuid.UUID
    name: str
    username: str
    kinds: tuple[SegmentKind, ...]
    danger_notices: bool
    since: datetime


def invite_caregiver(
    svc: Services,
    patient: Principal,
    username: str,
    kinds: Collection[SegmentKind],
    *,
    danger_notices: bool = True,
) -> int:
    """The patient asks a caregiver in by their username, sharing ``kinds`` with them;
    the id of the care relationship. One transaction: the relationship, the grant and
    the caregiver's notice are all stored or none. Raises NotFound for no caregiver of
    that name, InvalidState when they are already in the patient's care."""
    patient_id = require_owner(patient)
    if not kinds:
        raise InvalidInput("choose at least one kind of data to share with your caregiver")
    now = svc.clock()
    with svc.db.session() as session:
        user_id = account_rows.caregiver_id_named(session, username.strip().lower())
        if user_id is None:
            raise NotFound("no caregiver account has that username")
        clinician_row(session, user_id, {Role.CAREGIVER})
        if relationship(session, patient_id, user_id) is not None:
            raise InvalidState("that caregiver is already in your care")
        row = CareRelationship(
            patient_id=patient_id,
            clinician_id=user_id,
            status=CareStatus.ACTIVE,
            initiated_by=Role.PATIENT.value,
            created_at=now,
            accepted_at=now,
            danger_notices=danger_notices,
        )
        session.add(row)
        session.flush()
        audit(
            svc,
            session,
            Action.CARE_INVITE,
            patient.id,
            patient_id=patient_id,
            subject=f"care:{row.id}",
            details={"status": row.status, "role": Role.CAREGIVER.value},
        )
        grant = Grant(
            patient_id=patient_id,
            grantee_id=user_id,
            purpose=Purpose.TREATMENT.value,
            kinds=",".join(sorted(k.value for k in kinds)),
            except_kinds="",
            valid_from=now,
            valid_until=None,
            status=GrantStatus.ACTIVE.value,
            created_at=now,
        )
        add_grant(svc, session, patient, grant)
        notify(session, [user_id], "caregiver", str(patient_id), now)
        return row.id


def set_danger_notices(svc: Services, patient: Principal, relationship_id: int, on: bool) -> None:
    """The patient chooses whether this caregiver is told of a reading in the danger zone."""
    patient_id = require_owner(patient)
    with svc.db.session() as session:
        row = session.get(CareRelationship, relationship_id)
        if row is None or row.patient_id != patient_id or row.status == CareStatus.ENDED:
            raise NotFound("no such caregiver in your care")
        row.danger_notices = on
        audit(
            svc,
            session,
            Action.CARE_ALERTS,
            patient.id,
            patient_id=patient_id,
            subject=f"care:{row.id}",
            details={"danger_notices": on},
        )


def caregivers_of(svc: Services, patient: Principal) -> list[Caregiver]:
    """The caregivers in the patient's care with the kinds their live grants name,
    oldest first. The patient themself only."""
    patient_id = require_owner(patient)
    now = svc.clock()
    with svc.db.session() as session:
        rows = care_rows.caregivers_in_care(session, patient_id)
        grants = consent_rows.active_grants_to(session, patient_id, [user.id for _, user in rows])
        kinds: dict[uuid.UUID, set[SegmentKind]] = {}
        for grant in grants:
            terms = terms_of_grant(grant)
            if terms.in_force(now) and terms.kinds is not None:
                kinds.setdefault(grant.grantee_id, set()).update(terms.kinds)
        return [
            Caregiver(
                care.id,
                user.id,
                user.display_name,
                user.username,
                tuple(k for k in SegmentKind if k in kinds.get(user.id, ())),
                care.danger_notices,
                care.accepted_at or care.created_at,
            )
            for care, user in rows
        ]
