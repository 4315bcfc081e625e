"""Grants with their history, delegation to a partner clinician, sensitivity overrides.

Only the patient consents: they create, change and revoke grants and approve a partner
a clinician asks in. Every change is kept in the grant's history and in the audit log.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from phr_share.audit import Action
from phr_share.consent import (
    CARERS,
    CareStatus,
    Facts,
    GrantStatus,
    GrantTerms,
    Principal,
    Purpose,
    Request,
    Role,
    Sensitivity,
    decide,
)
from phr_share.db import (
    CareRelationship,
    Grant,
    GrantEvent,
    RowConflict,
    SensitivityOverride,
    Session,
)
from phr_share.db.consent import terms_digest
from phr_share.db.queries import consent as consent_rows
from phr_share.errors import AccessDenied, InvalidInput, InvalidState, NotFound
from phr_share.models import Reason, SegmentKind, user_id_text
from phr_share.sharing.access import load_facts, terms_of_grant
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_clinician, require_owner, require_owner_or_steward
from phr_share.sharing.notices import notify_patient
from phr_share.sharing.parties import clinician_row, relationship
from phr_share.sharing.services import Services

__all__ = [
    "GrantEntry",
    "GrantHistory",
    "add_grant",
    "answer_delegation",
    "ask_partner",
    "change_grant",
    "choose_sensitivity",
    "grant_access",
    "grants_of",
    "revoke_grant",
    "revoke_grants_of",
    "sensitivity_levels",
    "sensitivity_of",
    "set_sensitivity",
]


@dataclass(frozen=True, slots=True)
class GrantEntry:
    """One step of a grant's history."""

    at: datetime
    actor: str
    event: str


@dataclass(frozen=True, slots=True)
class GrantHistory:
    """A grant's current terms, when it was made, who asked for it, and its history."""

    terms: GrantTerms
    created_at: datetime
    delegated_by: str | None
    history: tuple[GrantEntry, ...]


def _kinds_text(kinds: Collection[SegmentKind] | None) -> str:
    if kinds is None:
        return "*"
    if not kinds:
        raise InvalidInput("a grant names at least one kind (or none, for a blanket grant)")
    return ",".join(sorted(k.value for k in kinds))


def _record(
    svc: Services, session: Session, grant: Grant, actor: str, event: str, action: Action
) -> None:
    """A grant's change, in its own history and in the audit log."""
    session.flush()
    terms = {
        "status": grant.status,
        "kinds": grant.kinds,
        "except": grant.except_kinds,
        "purpose": grant.purpose,
        "from": grant.valid_from.isoformat(),
        "until": None if grant.valid_until is None else grant.valid_until.isoformat(),
    }
    session.add(
        GrantEvent(
            grant_id=grant.id,
            at=svc.clock(),
            actor=actor,
            event=event,
            terms=json.dumps(terms, sort_keys=True),
        )
    )
    audit(
        svc,
        session,
        action,
        actor,
        patient_id=grant.patient_id,
        subject=f"grant:{grant.id}",
        details=_grant_details(grant),
    )


def _add_live(session: Session, grant: Grant) -> Grant | None:
    """Insert a new grant; None, or the live grant with the same terms already there.

    A unique index decides, not a look first: of two identical requests at once, one
    inserts and the other finds it.
    """
    _seal_terms(grant)
    try:
        with session.begin_nested():
            session.add(grant)
    except RowConflict:
        twin = consent_rows.live_twin(session, grant)
        if twin is None:
            raise
        return twin
    return None


def _seal_terms(grant: Grant) -> None:
    grant.terms_sha256 = terms_digest(grant.kinds, grant.except_kinds, grant.valid_until)


def _flush_live(session: Session) -> None:
    """Flush a grant whose terms or status changed; InvalidState if that makes it the
    twin of another live grant."""
    try:
        session.flush()
    except RowConflict:
        raise InvalidState("the clinician already has a live grant with these terms") from None


def _check_period(valid_from: datetime, valid_until: datetime | None) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidInput("a grant must end after it starts")


def grant_access(
    svc: Services,
    patient: Principal,
    grantee_id: uuid.UUID,
    kinds: Collection[SegmentKind] | None,
    *,
    purpose: Purpose = Purpose.TREATMENT,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    except_kinds: Collection[SegmentKind] = (),
) -> int:
    """The patient grants a clinician in their care access to kinds (None: a blanket grant).

    A blanket grant never opens restricted kinds; name them to share them. The same
    request again (or twice at once) returns the live grant it made. Raises InvalidState
    when the clinician is not (yet) in the patient's care, or a live grant with these
    terms starts at another time.
    """
    patient_id = require_owner(patient)
    if purpose is Purpose.RESEARCH:
        raise InvalidInput("research use is consented by releasing kinds, not by a grant")
    start = valid_from or svc.clock()
    _check_period(start, valid_until)
    with svc.db.session() as session:
        grantee = clinician_row(session, grantee_id, CARERS)
        care = relationship(session, patient_id, grantee_id)
        if care is None or care.status != CareStatus.ACTIVE:
            raise InvalidState("a grant needs an accepted care relationship first")
        if Role(grantee.role) is Role.CAREGIVER and purpose is not Purpose.TREATMENT:
            raise InvalidInput("a caregiver reads for your care only")
        grant = Grant(
            patient_id=patient_id,
            grantee_id=grantee_id,
            purpose=purpose.value,
            kinds=_kinds_text(kinds),
            except_kinds=",".join(sorted(k.value for k in except_kinds)),
            valid_from=start,
            valid_until=valid_until,
            status=GrantStatus.ACTIVE.value,
            created_at=svc.clock(),
        )
        return add_grant(svc, session, patient, grant, valid_from)


def add_grant(
    svc: Services,
    session: Session,
    patient: Principal,
    grant: Grant,
    valid_from: datetime | None = None,
) -> int:
    """Add the patient's new grant in the caller's transaction; the id of the live grant
    with the same terms, when there is one (InvalidState if it starts at another time)."""
    twin = _add_live(session, grant)
    if twin is not None:
        if valid_from is not None and twin.valid_from != valid_from:
            raise InvalidState(
                "a live grant with these terms starts at another time: change or revoke it"
            )
        return twin.id
    _record(svc, session, grant, patient.id, "created", Action.GRANT_CREATE)
    return grant.id


def _grant_details(grant: Grant) -> dict[str, str | int]:
    return {
        "grantee": user_id_text(grant.grantee_id),
        "kinds": grant.kinds,
        "except": grant.except_kinds,
        "purpose": grant.purpose,
        "status": grant.status,
    }


def _owned_grant(session: Session, patient: Principal, grant_id: int) -> Grant:
    patient_id = require_owner(patient)
    grant = session.get(Grant, grant_id)
    if grant is None or grant.patient_id != patient_id:
        raise NotFound("no such grant")
    return grant


def change_grant(
    svc: Services,
    patient: Principal,
    grant_id: int,
    *,
    kinds: Collection[SegmentKind] | None = None,
    except_kinds: Collection[SegmentKind] | None = None,
    valid_until: datetime | None = None,
) -> None:
    """The patient narrows, widens or extends an active grant; the change is kept in history.

    Raises InvalidState when the grant is not active, or the change would make it the
    twin of another live grant.
    """
    with svc.db.session() as session:
        grant = _owned_grant(session, patient, grant_id)
        if grant.status != GrantStatus.ACTIVE.value:
            raise InvalidState(f"the grant is {grant.status}")
        if kinds is not None:
            grant.kinds = _kinds_text(kinds)
        if except_kinds is not None:
            grant.except_kinds = ",".join(sorted(k.value for k in except_kinds))
        if valid_until is not None:
            _check_period(grant.valid_from, valid_until)
            grant.valid_until = valid_until
        _seal_terms(grant)
        _flush_live(session)
        _record(svc, session, grant, patient.id, "changed", Action.GRANT_CHANGE)


def _set_status(
    svc: Services,
    session: Session,
    principal: Principal,
    grant: Grant,
    status: GrantStatus,
    action: Action,
) -> None:
    grant.status = status.value
    _record(svc, session, grant, principal.id, status.value, action)


def revoke_grant(svc: Services, patient: Principal, grant_id: int) -> None:
    """The patient revokes a grant; idempotent. Takes effect on the very next decision."""
    with svc.db.session() as session:
        grant = _owned_grant(session, patient, grant_id)
        if grant.status in {GrantStatus.ACTIVE.value, GrantStatus.PENDING.value}:
            _set_status(svc, session, patient, grant, GrantStatus.REVOKED, Action.GRANT_REVOKE)


def ask_partner(
    svc: Services,
    clinician: Principal,
    partner_id: uuid.UUID,
    patient_id: uuid.UUID,
    kinds: Collection[SegmentKind],
    *,
    valid_until: datetime | None = None,
) -> int:
    """A clinician asks a partner in for kinds they can read themself; pending until approved
    (asking again, or twice at once, gives the request already waiting).

    Raises AccessDenied for anyone but an active clinician, or for a kind they may not read.
    """
    me = require_clinician(clinician)
    now = svc.clock()
    with svc.db.session() as session:
        partner = clinician_row(session, partner_id)
        facts = load_facts(session, patient_id, clinician)
        for kind in kinds:
            asked = Request(clinician, patient_id, kind, Purpose.TREATMENT, now)
            if not decide(asked, facts).permit:
                raise AccessDenied(
                    Reason.KIND_NOT_GRANTED, "a clinician can only pass on what they may read"
                )
        grant = Grant(
            patient_id=patient_id,
            grantee_id=partner.id,
            purpose=Purpose.TREATMENT.value,
            kinds=_kinds_text(kinds),
            except_kinds="",
            valid_from=now,
            valid_until=valid_until,
            status=GrantStatus.PENDING.value,
            delegated_by=me,
            created_at=now,
        )
        twin = _add_live(session, grant)
        if twin is not None:  # the same request again: already waiting for the patient
            return twin.id
        _record(svc, session, grant, clinician.id, "requested", Action.DELEGATION_REQUEST)
        notify_patient(session, patient_id, "partner-request", f"grant:{grant.id}", now)
        return grant.id


def answer_delegation(svc: Services, patient: Principal, grant_id: int, approve: bool) -> None:
    """The patient approves (the partner joins their care) or refuses a delegation."""
    with svc.db.session() as session:
        grant = _owned_grant(session, patient, grant_id)
        if grant.status != GrantStatus.PENDING.value:
            raise InvalidState(f"the delegation is {grant.status}")
        if not approve:
            _set_status(svc, session, patient, grant, GrantStatus.REFUSED, Action.DELEGATION_REFUSE)
            return
        if relationship(session, grant.patient_id, grant.grantee_id) is None:
            session.add(
                CareRelationship(
                    patient_id=grant.patient_id,
                    clinician_id=grant.grantee_id,
                    status=CareStatus.ACTIVE,
                    initiated_by="delegation",
                    created_at=svc.clock(),
                    accepted_at=svc.clock(),
                )
            )
        else:
            care = relationship(session, grant.patient_id, grant.grantee_id)
            if care is not None and care.status != CareStatus.ACTIVE:
                care.status, care.accepted_at = CareStatus.ACTIVE, svc.clock()
        grant.status = GrantStatus.ACTIVE.value
        _flush_live(session)
        _set_status(svc, session, patient, grant, GrantStatus.ACTIVE, Action.DELEGATION_APPROVE)


def grants_of(svc: Services, principal: Principal, patient_id: uuid.UUID) -> list[GrantHistory]:
    """Every grant of a patient, with its history, oldest first: for the patient, an admin
    or the operator; raises AccessDenied for anyone else."""
    require_owner_or_steward(principal, patient_id)
    with svc.db.session() as session:
        grants = consent_rows.grants_of_patient(session, patient_id)
        events = consent_rows.grant_events(session, [g.id for g in grants])
        return [
            GrantHistory(
                terms_of_grant(g),
                g.created_at,
                None if g.delegated_by is None else user_id_text(g.delegated_by),
                tuple(GrantEntry(e.at, e.actor, e.event) for e in events if e.grant_id == g.id),
            )
            for g in grants
        ]


def set_sensitivity(
    svc: Services, patient: Principal, kind: SegmentKind, level: Sensitivity | None
) -> None:
    """The patient's own level for a kind; None goes back to the default."""
    patient_id = require_owner(patient)
    with svc.db.session() as session:
        row = session.get(SensitivityOverride, (patient_id, kind.value))
        if level is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                SensitivityOverride(
                    patient_id=patient_id,
                    kind=kind.value,
                    level=level.value,
                    changed_at=svc.clock(),
                )
            )
        else:
            row.level, row.changed_at = level.value, svc.clock()
        audit(
            svc,
            session,
            Action.SENSITIVITY_CHANGE,
            patient.id,
            patient_id=patient_id,
            details={"kind": kind.value, "level": "default" if level is None else level.value},
        )


def revoke_grants_of(
    svc: Services,
    session: Session,
    principal: Principal,
    patient_id: uuid.UUID,
    clinician_id: uuid.UUID,
) -> None:
    """Revoke every live or pending grant of a clinician on a patient, in ``session``."""
    for grant in consent_rows.live_grants_between(session, patient_id, clinician_id):
        _set_status(svc, session, principal, grant, GrantStatus.REVOKED, Action.GRANT_REVOKE)


def sensitivity_of(svc: Services, patient: Principal) -> dict[SegmentKind, Sensitivity]:
    """The patient's own levels (kinds without an override are at their default); the
    patient themself only, raises AccessDenied otherwise."""
    patient_id = require_owner(patient)
    with svc.db.session() as session:
        rows = consent_rows.sensitivity_overrides(session, patient_id)
        return {SegmentKind(r.kind): Sensitivity(r.level) for r in rows}


def sensitivity_levels(svc: Services, patient: Principal) -> dict[SegmentKind, Sensitivity]:
    """Every kind's level for the patient: their own, else the kind's default; the patient
    themself only, raises AccessDenied otherwise."""
    facts = Facts(require_owner(patient), overrides=sensitivity_of(svc, patient))
    return {kind: facts.sensitivity(kind) for kind in SegmentKind}


def choose_sensitivity(
    svc: Services, patient: Principal, levels: Mapping[SegmentKind, Sensitivity | None]
) -> None:
    """Set the patient's levels kind by kind: None, or the kind's default level, keeps no
    override (the kind follows its default). The patient themself only."""
    defaults = Facts(require_owner(patient))
    for kind, level in levels.items():
        set_sensitivity(svc, patient, kind, None if level == defaults.sensitivity(kind) else level)
