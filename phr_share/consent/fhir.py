"""FHIR R4 Consent views of grants and of the research release, pure: dicts out.

A grant becomes a ``Consent`` whose permit provision holds its period, grantee, purpose
and segment kinds, with its deny exceptions as a nested deny provision.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from phr_share.consent.model import GrantStatus, GrantTerms, Purpose
from phr_share.models import ACCOUNT_SYSTEM, PHR_OID, SegmentKind

__all__ = ["ConsentRecord", "grant_consent", "research_consent"]

Json = dict[str, Any]

KIND_SYSTEM = f"urn:oid:{PHR_OID}.10"
_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
_PURPOSE_CODE = {
    Purpose.TREATMENT: "TREAT",
    Purpose.RESEARCH: "HRESCH",
    Purpose.EMERGENCY: "ETREAT",
}


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A grant with the moment it was made and whether it has run out."""

    terms: GrantTerms
    created_at: datetime
    expired: bool


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _kinds(kinds: Collection[SegmentKind]) -> list[Json]:
    return [{"coding": [{"system": KIND_SYSTEM, "code": k.value}]} for k in sorted(kinds)]


def _shell(consent_id: str, patient_id: uuid.UUID, status: str, scope: str) -> Json:
    return {
        "resourceType": "Consent",
        "id": consent_id,
        "status": status,
        "scope": {"coding": [{"system": _SCOPE, "code": scope}]},
        "category": [
            {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Consent"}]}
        ],
        "patient": {"reference": f"Patient/{patient_id}"},
        "performer": [{"reference": f"Patient/{patient_id}"}],
        "policyRule": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
            ]
        },
    }


def grant_consent(record: ConsentRecord) -> Json:
    """A grant as a FHIR R4 Consent resource."""
    grant = record.terms
    status = {
        GrantStatus.PENDING: "proposed",
        GrantStatus.ACTIVE: "inactive" if record.expired else "active",
        GrantStatus.REVOKED: "inactive",
        GrantStatus.REFUSED: "rejected",
    }[grant.status]
    resource = _shell(f"grant-{grant.id}", grant.patient_id, status, "patient-privacy")
    resource["dateTime"] = _instant(record.created_at)
    period = {"start": _instant(grant.valid_from)}
    if grant.valid_until is not None:
        period["end"] = _instant(grant.valid_until)
    provision: Json = {
        "type": "permit",
        "period": period,
        "actor": [
            {
                "role": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "code": "IRCP",
                        }
                    ]
                },
                "reference": {"identifier": {"system": ACCOUNT_SYSTEM, "value": grant.grantee}},
            }
        ],
        "purpose": [{"system": _ACT_REASON, "code": _PURPOSE_CODE[grant.purpose]}],
    }
    if grant.kinds is not None:
        provision["code"] = _kinds(grant.kinds)
    if grant.except_kinds:
        provision["provision"] = [{"type": "deny", "code": _kinds(grant.except_kinds)}]
    resource["provision"] = provision
    return resource


def research_consent(patient_id: uuid.UUID, kinds: Collection[SegmentKind], at: datetime) -> Json:
    """The patient's research release as a FHIR R4 Consent (inactive when nothing is released)."""
    resource = _shell(
        f"research-{patient_id}", patient_id, "active" if kinds else "inactive", "research"
    )
    resource["dateTime"] = _instant(at)
    provision: Json = {
        "type": "permit",
        "purpose": [{"system": _ACT_REASON, "code": _PURPOSE_CODE[Purpose.RESEARCH]}],
    }
    if kinds:
        provision["code"] = _kinds(kinds)
    resource["provision"] = provision
    return resource
