"""Who learns a patient's name and clock: whoever the decision point lets read something
of the patient's now, and whoever the patient took into their care. Anyone else sees the
opaque id's start, and no time zone."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from phr_share.consent import Decision, Facts, Reason, Request, Sensitivity
from phr_share.models import SegmentKind as K
from phr_share.sharing import (
    accept_care,
    declare_emergency,
    end_care,
    grant_access,
    invite_clinician,
    patient_name,
    patient_time_zone,
    set_sensitivity,
    set_time_zone,
)
from tests.conftest import PATIENT
from tests.unit.sharing import test_consent
from tests.unit.sharing.test_consent import World

HIDDEN = f"Patient {str(PATIENT)[:8]}"
REASON = "unconscious on arrival, no consent"
world = test_consent.world


def test_the_patient_themself_unless_the_account_is_switched_off(world: World) -> None:
    own = world.patient.principal
    set_time_zone(world.svc, own, "Europe/Paris")
    assert patient_name(world.svc, own, PATIENT) == world.patient.display_name
    assert str(patient_time_zone(world.svc, own, PATIENT)) == "Europe/Paris"
    off = dataclasses.replace(own, active=False)
    assert patient_name(world.svc, off, PATIENT) == HIDDEN
    assert patient_time_zone(world.svc, off, PATIENT) is None
    assert patient_name(world.svc, world.other.principal, PATIENT) == HIDDEN


def test_care_and_its_grants_name_the_patient_until_care_ends(world: World) -> None:
    patient, name = world.patient.principal, world.patient.display_name
    invite_clinician(world.svc, patient, world.doctor.id)
    assert patient_name(world.svc, world.doctor.principal, PATIENT) == name  # invited
    off = dataclasses.replace(world.doctor.principal, active=False)
    assert patient_name(world.svc, off, PATIENT) == HIDDEN  # but switched off
    partner = world.partner.principal
    rel = invite_clinician(world.svc, patient, world.partner.id)
    accept_care(world.svc, partner, rel)
    grant_access(world.svc, patient, world.partner.id, {K.HEALTH_STATUS})
    assert patient_name(world.svc, partner, PATIENT) == name
    end_care(world.svc, patient, rel)
    assert patient_name(world.svc, partner, PATIENT) == HIDDEN  # the grant went with it


def test_an_emergency_names_the_patient_while_it_runs(world: World) -> None:
    nurse = world.nurse.principal
    declare_emergency(world.svc, nurse, PATIENT, REASON, duration=timedelta(hours=1))
    assert patient_name(world.svc, nurse, PATIENT) == world.patient.display_name
    world.clock.now += timedelta(hours=1)
    assert patient_name(world.svc, nurse, PATIENT) == HIDDEN  # over
    assert patient_name(world.svc, world.researcher.principal, PATIENT) == HIDDEN


def test_an_emergency_that_opens_no_kind_names_no_one(world: World) -> None:
    # Every kind very restricted: break-glass reads nothing, so it tells no name either.
    for kind in K:
        set_sensitivity(world.svc, world.patient.principal, kind, Sensitivity.VERY_RESTRICTED)
    nurse = world.nurse.principal
    declare_emergency(world.svc, nurse, PATIENT, REASON)
    assert patient_name(world.svc, nurse, PATIENT) == HIDDEN


def test_the_decision_point_decides_whom_a_grant_or_emergency_lets_in(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Request] = []

    def deny(request: Request, facts: Facts) -> Decision:
        asked.append(request)
        return Decision(False, Reason.NO_GRANT)

    declare_emergency(world.svc, world.nurse.principal, PATIENT, REASON)
    monkeypatch.setattr("phr_share.consent.naming.decide", deny)
    assert patient_name(world.svc, world.nurse.principal, PATIENT) == HIDDEN
    assert {r.purpose.value for r in asked} == {"treatment", "emergency"}
