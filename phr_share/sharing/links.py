"""One-visit share links: a patient shows chosen kinds to a named doctor, once.

The link's token is returned once and only its SHA-256 is stored. Opening it claims it
(an atomic update, so two tabs cannot both use it) and reads the linked segments
through the decision point, each read audited under ``link:<id>``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from phr_share.audit import Action, Outcome
from phr_share.consent import Facts, LinkTerms, Principal, Purpose, Reason, Request, Role, decide
from phr_share.crypto import mint_token, token_digest
from phr_share.db import ShareLink, User
from phr_share.db.queries import consent as consent_rows
from phr_share.errors import AccessDenied, InvalidInput, NotFound
from phr_share.models import SegmentKind, user_id_text
from phr_share.sharing.access import terms_of_link
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_owner
from phr_share.sharing.read import SegmentRecord, current_records, read_segments
from phr_share.sharing.services import Services

__all__ = ["NewLink", "create_share_link", "links_of", "open_share_link", "revoke_share_link"]

LINK_TTL = timedelta(hours=48)
MAX_LINK_TTL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class NewLink:
    """A created link: ``token`` goes to the doctor and is never shown again."""

    id: int
    token: str
    expires_at: datetime


def create_share_link(
    svc: Services,
    patient: Principal,
    doctor_id: uuid.UUID,
    kinds: Collection[SegmentKind],
    *,
    ttl: timedelta = LINK_TTL,
) -> NewLink:
    """A single-use link for one doctor to the chosen kinds, expiring after ``ttl`` (48 h).
    The patient themself only; raises AccessDenied otherwise, NotFound for no such doctor."""
    patient_id = require_owner(patient)
    if not kinds:
        raise InvalidInput("a share link names at least one kind")
    if not timedelta(0) < ttl <= MAX_LINK_TTL:
        raise InvalidInput("a share link lives between a moment and 30 days")
    token = mint_token(svc.randbytes)
    now = svc.clock()
    with svc.db.session() as session:
        doctor = session.get(User, doctor_id)
        if doctor is None or doctor.role != Role.DOCTOR.value or not doctor.active:
            raise NotFound("no such doctor")
        row = ShareLink(
            patient_id=patient_id,
            doctor_id=doctor_id,
            digest=token_digest(token),
            kinds=",".join(sorted(k.value for k in kinds)),
            created_at=now,
            expires_at=now + ttl,
        )
        session.add(row)
        session.flush()
        audit(
            svc,
            session,
            Action.LINK_CREATE,
            patient.id,
            patient_id=patient_id,
            subject=f"link:{row.id}",
            details={"doctor": user_id_text(doctor_id), "kinds": row.kinds},
        )
        return NewLink(row.id, token, row.expires_at)


def revoke_share_link(svc: Services, patient: Principal, link_id: int) -> None:
    """The patient revokes a link before it is used; idempotent. Raises AccessDenied for
    anyone but a patient, NotFound for a link that is not theirs."""
    patient_id = require_owner(patient)
    with svc.db.session() as session:
        row = session.get(ShareLink, link_id)
        if row is None or row.patient_id != patient_id:
            raise NotFound("no such share link")
        if row.revoked_at is None:
            row.revoked_at = svc.clock()
            audit(
                svc,
                session,
                Action.LINK_REVOKE,
                patient.id,
                patient_id=row.patient_id,
                subject=f"link:{row.id}",
            )


def open_share_link(
    svc: Services, doctor: Principal, token: str
) -> list[tuple[SegmentRecord, bytes]]:
    """The named doctor opens the link: it is used up, and the linked segments are read.

    Raises NotFound for an unknown token and AccessDenied (link-used, link-expired,
    link-revoked, link-other-grantee, role-not-permitted) when the decision point refuses
    it; every attempt on a known link is audited.
    """
    now = svc.clock()
    with svc.db.session() as session:
        row = consent_rows.link_by_digest(session, token_digest(token))
        if row is None:
            raise NotFound("no such share link")
        link = terms_of_link(row)
        # The link itself is the consent: decide on its terms as they are before use.
        probe = Request(doctor, link.patient_id, min(link.kinds), Purpose.TREATMENT, now, link)
        reason = decide(probe, Facts(link.patient_id)).reason
        if reason is Reason.SHARE_LINK and not consent_rows.claim_link(session, row.id, now):
            reason = Reason.LINK_USED  # another request used it a moment ago
        permit = reason is Reason.SHARE_LINK
        audit(
            svc,
            session,
            Action.LINK_REDEEM,
            doctor.id,
            patient_id=link.patient_id,
            subject=f"link:{link.id}",
            outcome=Outcome.OK if permit else Outcome.DENIED,
            details={"reason": reason.value},
        )
    if not permit:
        raise AccessDenied(reason)
    records = [r for r in current_records(svc, link.patient_id) if r.kind in link.kinds]
    return list(zip(records, read_segments(svc, doctor, records, link=link), strict=True))


def links_of(svc: Services, patient: Principal) -> list[LinkTerms]:
    """The patient's own share links, newest first (terms only; tokens are never kept).
    Raises AccessDenied for anyone but a patient."""
    patient_id = require_owner(patient)
    with svc.db.session() as session:
        rows = consent_rows.links_of_patient(session, patient_id)
        return [terms_of_link(row) for row in rows]
