"""FHIR R4 AuditEvent views of audit entries, pure: ids and codes only, as in the log."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from phr_share.audit.chain import Entry, Outcome
from phr_share.models import ACCOUNT_SYSTEM, PHR_OID

__all__ = ["audit_event"]

Json = dict[str, Any]

ACTION_SYSTEM = f"urn:oid:{PHR_OID}.11"
OBJECT_SYSTEM = f"urn:oid:{PHR_OID}.13"
_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_PURPOSE_CODE = {"treatment": "TREAT", "research": "HRESCH", "emergency": "ETREAT"}
_OUTCOME = {Outcome.OK: "0", Outcome.DENIED: "4", Outcome.FAILED: "8"}


def _action_code(action: str) -> str:
    verb = action.rsplit(":", 1)[-1]
    if verb in {"read", "preview", "access"}:
        return "R"
    if verb in {"create", "ingest", "request", "invite", "declare", "issue", "publish"}:
        return "C"
    if verb in {"revoke", "erase", "retire"}:
        return "D"
    if verb in {"change", "accept", "approve", "refuse", "review", "redeem", "rotate"}:
        return "U"
    return "E"


def audit_event(entry: Entry) -> Json:
    """An audit entry as a FHIR R4 AuditEvent: ids and codes only, like the entry itself."""
    details = entry.details
    event: Json = {
        "resourceType": "AuditEvent",
        "id": f"audit-{entry.seq}",
        "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110110"},
        "subtype": [{"system": ACTION_SYSTEM, "code": entry.action.value}],
        "action": _action_code(entry.action.value),
        "recorded": entry.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "outcome": _OUTCOME[entry.outcome],
        "agent": [
            {
                "who": {"identifier": {"system": ACCOUNT_SYSTEM, "value": entry.actor}},
                "requestor": True,
            }
        ],
        "source": {"observer": {"display": "phr-share"}},
    }
    if "reason" in details:
        event["outcomeDesc"] = str(details["reason"])
    purpose = details.get("purpose")
    if isinstance(purpose, str) and purpose in _PURPOSE_CODE:
        coding = {"system": _ACT_REASON, "code": _PURPOSE_CODE[purpose]}
        event["purposeOfEvent"] = [{"coding": [coding]}]
    entities: list[Json] = []
    if entry.patient_id is not None:
        entities.append(
            {
                "what": {"reference": f"Patient/{entry.patient_id}"},
                "type": {"system": _ENTITY_TYPE, "code": "1"},
            }
        )
    if entry.subject is not None:
        entities.append(
            {
                "what": {"identifier": {"system": OBJECT_SYSTEM, "value": entry.subject}},
                "type": {"system": _ENTITY_TYPE, "code": "2"},
            }
        )
    if entities:
        event["entity"] = entities
    return event
