"""Who may see who a patient is: the decision point's reads, or the patient's care."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.consent import (
    BreakGlassTerms,
    CareStatus,
    Decision,
    Facts,
    GrantStatus,
    GrantTerms,
    Principal,
    Purpose,
    Reason,
    Role,
    Sensitivity,
    decide_name,
)
from phr_share.models import SegmentKind as K

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PATIENT = uuid.UUID("6f1c1f5e-1111-4c1e-9a51-6c0f2b7d9e10")
OTHER = uuid.UUID("6f1c1f5e-2222-4c1e-9a51-6c0f2b7d9e10")

OWNER = Principal("user:p", Role.PATIENT, PATIENT)
DOCTOR = Principal("user:d", Role.DOCTOR)
NURSE = Principal("user:n", Role.NURSE)
CAREGIVER = Principal("user:c", Role.CAREGIVER)
RESEARCHER = Principal("user:r", Role.RESEARCHER)


def grant(
    who: str, status: GrantStatus = GrantStatus.ACTIVE, until: datetime | None = None
) -> GrantTerms:
    kinds = frozenset({K.HEALTH_STATUS})
    return GrantTerms(7, who, PATIENT, Purpose.TREATMENT, kinds, NOW - HOUR, until, status)


def emergency(who: str, until: datetime) -> BreakGlassTerms:
    return BreakGlassTerms(3, who, PATIENT, NOW - 2 * HOUR, until)


def named(facts: Facts, principal: Principal) -> tuple[bool, Reason]:
    decision = decide_name(facts, principal, NOW)
    return decision.permit, decision.reason


def test_the_patient_themself_and_no_other_patient() -> None:
    assert named(Facts(PATIENT), OWNER) == (True, Reason.OWNER)
    other = Principal("user:q", Role.PATIENT, OTHER)
    assert named(Facts(PATIENT), other) == (False, Reason.NO_GRANT)


@pytest.mark.parametrize("principal", [OWNER, DOCTOR, CAREGIVER])
def test_a_disabled_account_learns_no_name_whatever_it_holds(principal: Principal) -> None:
    off = dataclasses.replace(principal, active=False)
    facts = Facts(
        PATIENT,
        (grant(off.id),),
        (emergency(off.id, NOW + HOUR),),
        care=CareStatus.ACTIVE,
    )
    assert named(facts, off) == (False, Reason.ACCOUNT_DISABLED)


@pytest.mark.parametrize("status", [CareStatus.ACTIVE, CareStatus.INVITED])
@pytest.mark.parametrize("principal", [DOCTOR, NURSE, CAREGIVER])
def test_care_or_the_patients_invitation_names_the_patient(
    principal: Principal, status: CareStatus
) -> None:
    assert named(Facts(PATIENT, care=status), principal) == (True, Reason.IN_CARE)


@pytest.mark.parametrize("status", [CareStatus.REQUESTED, CareStatus.ENDED, None])
def test_no_care_the_patient_answered_names_no_one(status: CareStatus | None) -> None:
    # A request waits for the patient; ended care, like none, leaves only the id.
    assert named(Facts(PATIENT, care=status), DOCTOR) == (False, Reason.NO_GRANT)


def test_care_names_no_one_of_another_role() -> None:
    facts = Facts(PATIENT, care=CareStatus.ACTIVE)
    assert named(facts, RESEARCHER) == (False, Reason.ROLE_NOT_PERMITTED)


@pytest.mark.parametrize("principal", [DOCTOR, CAREGIVER])
def test_a_grant_in_force_names_the_patient(principal: Principal) -> None:
    decision = decide_name(Facts(PATIENT, (grant(principal.id),)), principal, NOW)
    assert decision == Decision(True, Reason.GRANT, "grant:7")


@pytest.mark.parametrize(
    ("terms", "reason"),
    [
        (grant("user:d", GrantStatus.REVOKED), Reason.GRANT_REVOKED),
        (grant("user:d", until=NOW - HOUR / 2), Reason.GRANT_EXPIRED),
        (grant("user:x"), Reason.NO_GRANT),
    ],
)
def test_a_grant_out_of_force_names_no_one(terms: GrantTerms, reason: Reason) -> None:
    assert named(Facts(PATIENT, (terms,)), DOCTOR) == (False, reason)


def test_a_running_emergency_names_the_patient_to_its_clinician() -> None:
    facts = Facts(PATIENT, emergencies=(emergency(NURSE.id, NOW + HOUR),))
    assert decide_name(facts, NURSE, NOW) == Decision(True, Reason.BREAK_GLASS, "break-glass:3")
    assert named(facts, DOCTOR) == (False, Reason.NO_GRANT)


def test_an_emergency_over_or_opening_nothing_names_no_one() -> None:
    over = Facts(PATIENT, emergencies=(emergency(NURSE.id, NOW - HOUR),))
    assert named(over, NURSE) == (False, Reason.NO_GRANT)
    shut = Facts(
        PATIENT,
        emergencies=(emergency(NURSE.id, NOW + HOUR),),
        overrides=dict.fromkeys(K, Sensitivity.VERY_RESTRICTED),
    )
    assert named(shut, NURSE) == (False, Reason.NO_GRANT)


def test_a_caregiver_declares_no_emergency() -> None:
    facts = Facts(PATIENT, emergencies=(emergency(CAREGIVER.id, NOW + HOUR),))
    assert named(facts, CAREGIVER) == (False, Reason.NO_GRANT)


def test_a_stranger_learns_no_name() -> None:
    for principal in (DOCTOR, NURSE, CAREGIVER, RESEARCHER):
        assert not decide_name(Facts(PATIENT), principal, NOW).permit
