"""What a patient can see about their record: who read what, their consents as FHIR, and
proofs of their log entries that anyone can check offline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from phr_share.audit import (
    Action,
    MerkleTree,
    Outcome,
    ProofSummary,
    ProvenEntry,
    check_bundle,
    leaf_hash,
    proof_bundle,
)
from phr_share.audit.fhir import audit_event
from phr_share.consent import Principal
from phr_share.consent.fhir import ConsentRecord, grant_consent, research_consent
from phr_share.crypto import parse_public_key, verify_signature
from phr_share.db.queries import audit as audit_rows
from phr_share.errors import IntegrityError, NotFound, ProofRejected
from phr_share.sharing.audit import entries_about
from phr_share.sharing.grants import grants_of
from phr_share.sharing.guard import require_owner_or_steward
from phr_share.sharing.release import released_kinds
from phr_share.sharing.services import Services
from phr_share.sharing.tree_heads import current_head

__all__ = ["AccessEvent", "access_history", "audit_proof", "check_proof", "export_fhir"]


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One read of a patient's segment (or a visit report of ``report_days`` days, asked
    for): who, which, when, allowed or not, and on what basis."""

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
    report_days: int | None = None


# What the access history tells besides the reads: the visit reports asked for.
_TOLD = frozenset({Action.READ, Action.REPORT_DOWNLOAD})


def access_history(svc: Services, principal: Principal, patient_id: uuid.UUID) -> list[AccessEvent]:
    """Every read of the patient's segments and every visit report asked for, permitted
    or denied, oldest first.

    The patient themself, an admin or the operator; raises AccessDenied otherwise.
    """
    require_owner_or_steward(principal, patient_id)
    events = []
    for entry in entries_about(svc, patient_id):
        if entry.action not in _TOLD:
            continue
        details = entry.details
        basis = details.get("basis")
        report = entry.action is Action.REPORT_DOWNLOAD
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
                report_days=int(details.get("days", 0)) if report else None,
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


def audit_proof(svc: Services, principal: Principal, patient_id: uuid.UUID) -> dict[str, Any]:
    """The patient's log entries, each with its inclusion proof, under a signed tree head
    that covers them all (signed now if entries came after the last): a
    ``phr-share-audit-proof/1`` document. The patient themself, an admin or the operator,
    AccessDenied otherwise; NotFound for an empty log; IntegrityError when the log does
    not match the head; store errors."""
    require_owner_or_steward(principal, patient_id)
    signed = current_head(svc)
    if signed is None:
        raise NotFound("the audit log has no entries yet")
    size = signed.head.size
    with svc.db.session() as session:
        # Sequence numbers are unique: size rows from 1 to size are every one of them.
        span = audit_rows.leaf_span(session, size)
        stored = audit_rows.leaf_hashes(session, size)
    if span != (size, 1, size) or len(stored) != size:
        raise _unanchored()
    try:
        tree = MerkleTree([bytes.fromhex(leaf) for leaf in stored])
    except ValueError:
        raise _unanchored() from None
    if tree.root() != signed.head.root:
        raise _unanchored()
    proven = []
    for entry in entries_about(svc, patient_id):
        if entry.seq > size:
            break
        canonical = entry.canonical()
        if leaf_hash(canonical) != tree.levels[0][entry.seq - 1]:
            raise _unanchored()
        proven.append(ProvenEntry(entry.seq - 1, canonical, tree.inclusion_proof(entry.seq - 1)))
    return proof_bundle(str(patient_id), signed, svc.signing_key().public_key, proven)


def _unanchored() -> IntegrityError:
    return IntegrityError(
        "the audit log does not match its signed tree head; the operator is to run "
        "`phr-share audit verify`"
    )


def check_proof(data: bytes, public_key: str) -> ProofSummary:
    """Check a proof bundle offline (no database, no store) against the log's public key,
    base64 or PEM; ProofRejected naming what failed, the key included."""
    try:
        key = parse_public_key(public_key)
    except ValueError as error:
        raise ProofRejected(f"the public key given: {error}") from None
    return check_bundle(data, key, verify_signature)
