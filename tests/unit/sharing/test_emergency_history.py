"""Break-glass, notifications, the review queue, the patient's access history, FHIR export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from phr_share.audit import Action
from phr_share.consent import Purpose, Role
from phr_share.errors import AccessDenied, InvalidInput, InvalidState
from phr_share.models import SegmentKind as K
from phr_share.sharing import (
    OPERATOR,
    Services,
    accept_care,
    access_history,
    audit_entries,
    choose_release,
    create_user,
    current_segments,
    declare_emergency,
    emergencies_of,
    export_fhir,
    grant_access,
    ingest_document,
    invite_clinician,
    notifications,
    read_segment,
    review_emergency,
    review_queue,
)
from tests.conftest import PATIENT

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REASON = "collapsed in the waiting room, unresponsive"


@pytest.fixture
def people(services: Services, demo_ccd: bytes) -> dict[str, object]:
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    return {
        "patient": create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT),
        "doctor": create_user(services, OPERATOR, "dr.kim", Role.DOCTOR),
        "nurse": create_user(services, OPERATOR, "nurse.lee", Role.NURSE),
        "admin": create_user(services, OPERATOR, "admin", Role.ADMIN),
    }


def _record(svc: Services, kind: K):  # type: ignore[no-untyped-def]
    return next(r for r in current_segments(svc, OPERATOR, PATIENT) if r.kind is kind)


def test_break_glass_is_time_boxed_flagged_notified_and_queued(
    services: Services, people: dict
) -> None:
    nurse, patient, admin = people["nurse"], people["patient"], people["admin"]
    with pytest.raises(InvalidInput, match="written reason"):
        declare_emergency(services, nurse.principal, PATIENT, "urgent")
    with pytest.raises(AccessDenied):
        declare_emergency(services, admin.principal, PATIENT, REASON)
    access = declare_emergency(services, nurse.principal, PATIENT, REASON)
    assert access.until == NOW + timedelta(hours=4)
    record = _record(services, K.HEALTH_STATUS)
    assert read_segment(services, nurse.principal, record, purpose=Purpose.EMERGENCY)
    declared, read = [e for e in audit_entries(services, OPERATOR) if e.actor == nurse.principal.id]
    assert declared.action is Action.EMERGENCY_DECLARE
    assert declared.details["emergency"] == 1
    assert (read.details["emergency"], read.details["basis"]) == (1, f"break-glass:{access.id}")
    assert REASON not in json.dumps(
        [e.canonical().decode() for e in audit_entries(services, OPERATOR)]
    )

    [notice] = notifications(services, patient.principal, mark_seen=True)
    assert (notice.topic, notice.subject, notice.seen_at) == (
        "break-glass",
        f"emergency:{access.id}",
        None,
    )
    assert notifications(services, patient.principal)[0].seen_at == NOW
    assert emergencies_of(services, OPERATOR, PATIENT)[0].reason == REASON

    with pytest.raises(AccessDenied):
        review_queue(services, nurse.principal)
    assert [e.id for e in review_queue(services, admin.principal)] == [access.id]
    with pytest.raises(InvalidInput):
        review_emergency(services, admin.principal, access.id, "fine")
    review_emergency(services, admin.principal, access.id, "justified")
    assert review_queue(services, admin.principal) == []
    with pytest.raises(InvalidState):
        review_emergency(services, admin.principal, access.id, "justified")

    services.clock = lambda: NOW + timedelta(hours=4)
    with pytest.raises(AccessDenied, match="break-glass-expired"):
        read_segment(services, nurse.principal, record, purpose=Purpose.EMERGENCY)


def test_the_patient_sees_who_read_what_and_on_what_basis(services: Services, people: dict) -> None:
    patient, doctor, nurse = people["patient"], people["doctor"], people["nurse"]
    accept_care(
        services, doctor.principal, invite_clinician(services, patient.principal, doctor.id)
    )
    grant = grant_access(services, patient.principal, doctor.id, {K.HEALTH_STATUS})
    read_segment(services, doctor.principal, _record(services, K.HEALTH_STATUS))
    with pytest.raises(AccessDenied):
        read_segment(services, doctor.principal, _record(services, K.LIFESTYLE))
    declare_emergency(services, nurse.principal, PATIENT, REASON)
    read_segment(
        services, nurse.principal, _record(services, K.LIFESTYLE), purpose=Purpose.EMERGENCY
    )

    history = access_history(services, patient.principal, PATIENT)
    assert [
        (e.actor, e.kind, e.outcome.value, e.reason, e.basis, e.emergency) for e in history
    ] == [
        (doctor.principal.id, "health-status", "ok", "grant", f"grant:{grant}", False),
        (doctor.principal.id, "lifestyle", "denied", "kind-not-granted", None, False),
        (nurse.principal.id, "lifestyle", "ok", "break-glass", "break-glass:1", True),
    ]
    with pytest.raises(AccessDenied):
        access_history(services, doctor.principal, PATIENT)


def test_fhir_export_is_valid_r4_consent_and_audit_event(services: Services, people: dict) -> None:
    patient, doctor = people["patient"], people["doctor"]
    accept_care(
        services, doctor.principal, invite_clinician(services, patient.principal, doctor.id)
    )
    grant_access(
        services,
        patient.principal,
        doctor.id,
        None,
        valid_until=NOW + timedelta(days=30),
        except_kinds={K.LIFESTYLE},
    )
    choose_release(services, OPERATOR, PATIENT, {K.PHYSICAL_SIGNS})
    read_segment(services, doctor.principal, _record(services, K.HEALTH_STATUS))

    bundle = export_fhir(services, patient.principal, PATIENT)
    Bundle.model_validate(bundle)  # raises on any structural error
    resources = [entry["resource"] for entry in bundle["entry"]]
    consents = [r for r in resources if r["resourceType"] == "Consent"]
    events = [r for r in resources if r["resourceType"] == "AuditEvent"]
    grant, research = consents
    assert grant["status"] == "active"
    assert grant["provision"]["period"]["end"] == "2026-12-22T12:00:00Z"
    assert "code" not in grant["provision"]  # blanket
    assert grant["provision"]["provision"][0]["type"] == "deny"
    assert research["scope"]["coding"][0]["code"] == "research"
    assert [c["coding"][0]["code"] for c in research["provision"]["code"]] == ["physical-signs"]
    assert len(events) == len(list(audit_entries(services, OPERATOR, PATIENT)))
    read = next(e for e in events if e["subtype"][0]["code"] == "store:segment:read")
    assert (read["action"], read["outcome"], read["outcomeDesc"]) == ("R", "0", "grant")
    assert "Jordan" not in json.dumps(bundle)
    with pytest.raises(AccessDenied):
        export_fhir(services, doctor.principal, PATIENT)
