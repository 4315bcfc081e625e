"""What a patient can see about their record: who read what, and their consents as FHIR."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from phr_share.audit import Action, Outcome
from phr_share.audit.fhir import audit_event
from phr_share.consent import Principal
from phr_share.consent.fhir import ConsentRecord, grant_consent, research_consent
from phr_share.sharing.audit import entries_about
from phr_share.sharing.grants import grants_of
from phr_share.sharing.guard import require_owner_or_steward
from phr_share.sharing.release import released_kinds
from phr_share.sharing.services import Services

__all__ = ["AccessEvent", "access_history", "export_fhir"]


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One read of a patient's segment: who, which, when, allowed or not, and on what basis."""

    seq: int
    at: datetime
    actor: str
    segment: str
    kind: str
    outcome: Outcome
    reason: str
    basis: str | None
    purpose: str
    emergency: bool


def access_history(svc: Services, principal: Principal, patient_id: uuid.UUID) -> list[AccessEvent]:
    """Every read of the patient's segments, permitted or denied, oldest first.

    The patient themself, an admin or the operator; raises AccessDenied otherwise.
    """
    require_owner_or_steward(principal, patient_id)
    events = []
    for entry in entries_about(svc, patient_id):
        if entry.action is not Action.READ:
            continue
        details = entry.details
        basis = details.get("basis")
        events.append(
            AccessEvent(
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                segment=(entry.subject or "").removeprefix("segment:"),
                kind=str(details.get("kind", "")),
                outcome=entry.outcome,
                reason=str(details.get("reason", "")),
                basis=None if basis is None else str(basis),
                purpose=str(details.get("purpose", "")),
                emergency=bool(details.get("emergency")),
            )
        )
    return events


def export_fhir(svc: Services, principal: Principal, patient_id: uuid.UUID) -> dict[str, Any]:
    """A FHIR R4 collection Bundle: the patient's consents and the audit events about them.
    For the patient, an admin or the operator; raises AccessDenied otherwise."""
    require_owner_or_steward(principal, patient_id)
    now = svc.clock()
    resources = [
        grant_consent(ConsentRecord(g.terms, g.created_at, g.terms.ended(now)))
        for g in grants_of(svc, principal, patient_id)
    ]
    released = released_kinds(svc, principal, patient_id)
    resources.append(research_consent(patient_id, released, now))
    resources.extend(audit_event(entry) for entry in entries_about(svc, patient_id))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "entry": [
            {"fullUrl": f"urn:uuid:{uuid.uuid5(patient_id, r['id'])}", "resource": r}
            for r in resources
        ],
    }
