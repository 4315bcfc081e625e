"""The decision point's database side: load a patient's facts, decide, preview.

Every read goes through :func:`authorize`; :mod:`phr_share.sharing.read` refuses to
open a segment without a permit from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from phr_share.audit import Action
from phr_share.consent import (
    CARERS,
    BreakGlassTerms,
    CareStatus,
    Decision,
    Facts,
    GrantStatus,
    GrantTerms,
    LinkTerms,
    Principal,
    Purpose,
    Request,
    Role,
    Sensitivity,
    decide,
    decide_name,
)
from phr_share.db import Grant, Session, ShareLink
from phr_share.db.queries import care as care_rows
from phr_share.db.queries import consent as consent_rows
from phr_share.db.queries import releases as release_rows
from phr_share.errors import AccessDenied
from phr_share.models import SegmentKind, user_id_text
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_owner
from phr_share.sharing.services import Services

__all__ = [
    "authorize",
    "decisions_for",
    "kinds_of",
    "load_facts",
    "may_name",
    "preview_policy",
    "require_some_access",
    "terms_of_grant",
]


def kinds_of(text: str) -> frozenset[SegmentKind]:
    """Comma-separated kinds as stored in the database."""
    return frozenset(SegmentKind(k) for k in text.split(",") if k)


def terms_of_grant(row: Grant) -> GrantTerms:
    """A grant row as the decision point sees it."""
    return GrantTerms(
        id=row.id,
        grantee=user_id_text(row.grantee_id),
        patient_id=row.patient_id,
        purpose=Purpose(row.purpose),
        kinds=None if row.kinds == "*" else kinds_of(row.kinds),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=GrantStatus(row.status),
        except_kinds=kinds_of(row.except_kinds),
    )


def terms_of_link(row: ShareLink) -> LinkTerms:
    """A share link row as the decision point sees it."""
    return LinkTerms(
        id=row.id,
        doctor=user_id_text(row.doctor_id),
        patient_id=row.patient_id,
        kinds=kinds_of(row.kinds),
        expires=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


def load_facts(
    session: Session, patient_id: uuid.UUID, principal: Principal, *, care: bool = False
) -> Facts:
    """What the decision needs about one patient, narrowed to what concerns ``principal``;
    with ``care``, their open care relationship with the patient too (only naming the
    patient needs it, so a segment read does not pay for the query)."""
    grantee = principal.user_id
    grants: tuple[GrantTerms, ...] = ()
    emergencies: tuple[BreakGlassTerms, ...] = ()
    if grantee is not None and principal.role is not Role.PATIENT:
        grants = tuple(
            terms_of_grant(row) for row in consent_rows.grants_between(session, patient_id, grantee)
        )
        emergencies = tuple(
            BreakGlassTerms(e.id, principal.id, e.patient_id, e.started_at, e.until)
            for e in consent_rows.emergencies_by(session, patient_id, grantee)
        )
    overrides = {
        SegmentKind(row.kind): Sensitivity(row.level)
        for row in consent_rows.sensitivity_overrides(session, patient_id)
    }
    released: frozenset[SegmentKind] = frozenset()
    if principal.role is Role.SYSTEM:
        released = frozenset(
            SegmentKind(kind) for kind in release_rows.released_kinds(session, patient_id)
        )
    care_status: CareStatus | None = None
    if care and grantee is not None and principal.role in CARERS:
        relationship = care_rows.open_relationship(session, patient_id, grantee)
        care_status = None if relationship is None else CareStatus(relationship.status)
    return Facts(patient_id, grants, emergencies, overrides, released, care_status)


def may_name(session: Session, principal: Principal, patient_id: uuid.UUID, at: datetime) -> bool:
    """Whether ``principal`` may see who the patient is (their name and clock) at ``at``,
    as the decision point decides on the patient's facts, loaded once in ``session``."""
    return decide_name(load_facts(session, patient_id, principal, care=True), principal, at).permit


def authorize(
    session: Session,
    principal: Principal,
    patient_id: uuid.UUID,
    kinds: Iterable[SegmentKind],
    purpose: Purpose,
    at: datetime,
    link: LinkTerms | None = None,
) -> dict[SegmentKind, Decision]:
    """The decision for each kind of one patient's data, from facts loaded in ``session``."""
    facts = load_facts(session, patient_id, principal)
    return {
        kind: decide(Request(principal, patient_id, kind, purpose, at, link), facts)
        for kind in kinds
    }


def decisions_for(
    svc: Services,
    patient: Principal,
    grantees: Iterable[Principal],
    purpose: Purpose = Purpose.TREATMENT,
) -> dict[str, dict[SegmentKind, Decision]]:
    """Each grantee's decision for every kind of the patient's own data now; nothing is
    read. The patient themself only; raises AccessDenied otherwise."""
    patient_id = require_owner(patient)
    now = svc.clock()
    with svc.db.session() as session:
        return {
            g.id: authorize(session, g, patient_id, SegmentKind, purpose, now) for g in grantees
        }


def preview_policy(
    svc: Services,
    patient: Principal,
    grantee: Principal,
    purpose: Purpose = Purpose.TREATMENT,
    at: datetime | None = None,
) -> dict[SegmentKind, Decision]:
    """ "Try my policy": what ``grantee`` would be let read of the patient's kinds at ``at``.

    Only the patient themself may ask; raises AccessDenied otherwise.
    """
    patient_id = require_owner(patient)
    when = at or svc.clock()
    with svc.db.session() as session:
        decisions = authorize(session, grantee, patient_id, SegmentKind, purpose, when)
        audit(
            svc,
            session,
            Action.POLICY_PREVIEW,
            patient.id,
            patient_id=patient_id,
            subject=grantee.id,
            details={"purpose": purpose.value},
        )
    return decisions


def require_some_access(
    svc: Services, principal: Principal, patient_id: uuid.UUID, purpose: Purpose
) -> None:
    """Let through the patient themself, or a reader the decision point permits at least
    one kind of the patient's data to now (for ``purpose``); raises AccessDenied with the
    decision's reason otherwise. For what the index says about readable data (document
    types), never for content: content is read through :func:`read_segment`."""
    with svc.db.session() as session:
        decisions = authorize(session, principal, patient_id, SegmentKind, purpose, svc.clock())
    if not any(d.permit for d in decisions.values()):
        raise AccessDenied(decisions[SegmentKind.HEALTH_STATUS].reason)
