"""Targets: set by a clinician in the patient's care whose grant covers vital signs,
seen by the patient with who set them and when, audited, and told to the patient."""

# The world fixture comes from the consent tests; pytest passes it by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from phr_share.audit import Action
from phr_share.errors import AccessDenied, InvalidInput
from phr_share.models import SegmentKind as K
from phr_share.sharing import (
    DEFAULT_TARGETS,
    audit_entries,
    grant_access,
    notifications,
    set_targets,
    targets_of,
)
from tests.conftest import PATIENT
from tests.unit.sharing.test_consent import START, World, care, world  # noqa: F401

BP_135 = {"systolic": 135, "diastolic": 85, "glucose_low": 80, "glucose_high": 160}


def test_the_usual_targets_hold_until_a_clinician_sets_them(world: World) -> None:
    assert targets_of(world.svc, world.patient.principal, PATIENT) == DEFAULT_TARGETS
    assert DEFAULT_TARGETS.pressure == (130, 80)
    assert (DEFAULT_TARGETS.glucose_low, DEFAULT_TARGETS.glucose_high) == (70, 180)


def test_a_clinician_whose_grant_covers_vital_signs_sets_them(world: World) -> None:
    care(world, world.doctor)
    # In care, but nothing granted: refused, like a read of the vital signs would be.
    with pytest.raises(AccessDenied):
        set_targets(world.svc, world.doctor.principal, PATIENT, **BP_135)
    grant_access(world.svc, world.patient.principal, world.doctor.id, {K.HEALTH_STATUS})
    with pytest.raises(AccessDenied):
        set_targets(world.svc, world.doctor.principal, PATIENT, **BP_135)
    grant_access(world.svc, world.patient.principal, world.doctor.id, {K.PHYSICAL_SIGNS})
    saved = set_targets(world.svc, world.doctor.principal, PATIENT, **BP_135)
    assert saved.pressure == (135, 85)
    assert (saved.set_by, saved.set_at) == (world.doctor.display_name, START)
    # The patient sees them, with who and when; so does the clinician.
    mine = targets_of(world.svc, world.patient.principal, PATIENT)
    assert mine == saved
    assert targets_of(world.svc, world.doctor.principal, PATIENT) == saved
    entries = audit_entries(world.svc, world.patient.principal, PATIENT)
    [entry] = [e for e in entries if e.action is Action.TARGETS_SET]
    assert entry.actor == world.doctor.principal.id
    assert entry.details["systolic"] == "135"
    topics = [n.topic for n in notifications(world.svc, world.patient.principal)]
    assert topics == ["targets"]


def test_no_one_else_sets_or_reads_them(world: World) -> None:
    for who in (world.nurse, world.researcher, world.admin, world.other):
        with pytest.raises(AccessDenied):
            set_targets(world.svc, who.principal, PATIENT, **BP_135)
    for who in (world.nurse, world.other, world.partner):
        with pytest.raises(AccessDenied):
            targets_of(world.svc, who.principal, PATIENT)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"systolic": 1300}, "systolic must be from 90 to 200"),
        ({"diastolic": 20}, "diastolic must be from 50 to 130"),
        ({"systolic": 100, "diastolic": 110}, "lower than the systolic"),
        ({"glucose_low": 150, "glucose_high": 120}, "below its high end"),
    ],
)
def test_a_target_out_of_bounds_is_refused(world: World, change: dict[str, int], says: str) -> None:
    care(world, world.doctor)
    grant_access(world.svc, world.patient.principal, world.doctor.id, {K.PHYSICAL_SIGNS})
    with pytest.raises(InvalidInput, match=says):
        set_targets(world.svc, world.doctor.principal, PATIENT, **{**BP_135, **change})
