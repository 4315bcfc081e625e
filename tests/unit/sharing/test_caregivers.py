"""Family and caregivers: asked in by the patient, reading only what is granted, told of
dangerous readings when the patient chose so, writing nothing, removed in one step."""

# The world fixture comes from the consent tests; pytest passes it by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from phr_share.audit import Action
from phr_share.consent import Purpose, Role
from phr_share.errors import AccessDenied, InvalidInput, InvalidState, NotFound
from phr_share.models import SegmentKind as K
from phr_share.sharing import (
    Account,
    access_history,
    ask_partner,
    audit_entries,
    caregivers_of,
    create_share_link,
    create_user,
    declare_emergency,
    end_care,
    grant_access,
    invite_caregiver,
    notifications,
    patient_name,
    patients_of,
    read_sections,
    save_readings,
    set_danger_notices,
    set_targets,
    sign_up,
    write_note,
)
from phr_share.sharing.guard import OPERATOR
from tests.conftest import PATIENT
from tests.unit.sharing.test_consent import World, care, world  # noqa: F401

DANGER = {"measured_at": "2026-11-22T09:00", "systolic": "185", "diastolic": "125"}
CALM = {"measured_at": "2026-11-22T10:00", "systolic": "128", "diastolic": "79"}


@pytest.fixture
def carer(world: World) -> Account:
    return sign_up(world.svc, "sam.child", "a long caregiver password", role=Role.CAREGIVER)


def _kinds_read(world: World, who: Account) -> set[K]:
    sections = read_sections(world.svc, who.principal, PATIENT, Purpose.TREATMENT)
    return {item.record.kind for item in sections}


def test_a_caregiver_signs_up_without_a_record_of_their_own(world: World) -> None:
    account = sign_up(world.svc, "kim.son", "a long caregiver password", role=Role.CAREGIVER)
    assert account.role is Role.CAREGIVER
    assert account.patient_id is None
    with pytest.raises(InvalidInput, match="only patients and caregivers"):
        sign_up(world.svc, "self.made.doctor", "a long doctor password", role=Role.DOCTOR)


def test_the_patient_asks_a_caregiver_in_and_they_read_only_what_is_granted(
    world: World, carer: Account
) -> None:
    # Before: the caregiver knows no name and reads nothing.
    assert patient_name(world.svc, carer.principal, PATIENT).startswith("Patient ")
    assert _kinds_read(world, carer) == set()
    rel = invite_caregiver(world.svc, world.patient.principal, "Sam.Child", [K.HEALTH_STATUS])
    assert _kinds_read(world, carer) == {K.HEALTH_STATUS}
    assert patient_name(world.svc, carer.principal, PATIENT) == world.patient.display_name
    [card] = patients_of(world.svc, carer.principal)
    assert card.patient_id == PATIENT
    [shown] = caregivers_of(world.svc, world.patient.principal)
    assert (shown.relationship_id, shown.name, shown.kinds) == (
        rel,
        "sam.child",
        (K.HEALTH_STATUS,),
    )
    assert shown.danger_notices
    # Told they were asked in; the patient's history names them like anyone.
    assert [n.topic for n in notifications(world.svc, carer.principal)] == ["caregiver"]
    readers = {e.actor for e in access_history(world.svc, world.patient.principal, PATIENT)}
    assert carer.principal.id in readers
    actions = [e.action for e in audit_entries(world.svc, world.patient.principal, PATIENT)]
    assert Action.CARE_INVITE in actions
    assert Action.GRANT_CREATE in actions


def test_restricted_kinds_stay_closed_unless_named(world: World, carer: Account) -> None:
    invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.HEALTH_STATUS])
    # A blanket grant given later through the grants form opens normal kinds only.
    grant_access(world.svc, world.patient.principal, carer.id, None)
    kinds = _kinds_read(world, carer)
    assert K.HEALTH_STATUS in kinds
    assert K.FAMILY_HISTORY not in kinds
    assert K.PATIENT_NARRATIVE not in kinds
    with pytest.raises(InvalidInput, match="for your care only"):
        grant_access(world.svc, world.patient.principal, carer.id, None, purpose=Purpose.EMERGENCY)


def test_a_caregiver_never_breaks_glass_writes_or_sets_targets(
    world: World, carer: Account
) -> None:
    invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.PHYSICAL_SIGNS])
    me = carer.principal
    refused = [
        lambda: declare_emergency(world.svc, me, PATIENT, "I cannot reach her by phone"),
        lambda: write_note(world.svc, me, PATIENT, "take the pills"),
        lambda: set_targets(
            world.svc, me, PATIENT, systolic=135, diastolic=85, glucose_low=80, glucose_high=160
        ),
        lambda: ask_partner(world.svc, me, world.partner.id, PATIENT, [K.PHYSICAL_SIGNS]),
    ]
    for attempt in refused:
        with pytest.raises(AccessDenied):
            attempt()
    # A one-visit link is for a doctor only.
    with pytest.raises((InvalidInput, NotFound)):
        create_share_link(world.svc, world.patient.principal, carer.id, [K.PHYSICAL_SIGNS])
    # An emergency read opens nothing, though the vital signs are granted for care.
    assert read_sections(world.svc, me, PATIENT, Purpose.EMERGENCY) == []
    assert _kinds_read(world, carer) == {K.PHYSICAL_SIGNS}


def test_only_caregiver_accounts_are_asked_in_and_only_once(world: World, carer: Account) -> None:
    with pytest.raises(NotFound):
        invite_caregiver(world.svc, world.patient.principal, "dr.kim", [K.PHYSICAL_SIGNS])
    with pytest.raises(NotFound):
        invite_caregiver(world.svc, world.patient.principal, "nobody.here", [K.PHYSICAL_SIGNS])
    with pytest.raises(InvalidInput, match="at least one kind"):
        invite_caregiver(world.svc, world.patient.principal, "sam.child", [])
    invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.PHYSICAL_SIGNS])
    with pytest.raises(InvalidState, match="already in your care"):
        invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.LIFESTYLE])
    for who in (world.doctor, carer):
        with pytest.raises(AccessDenied):
            invite_caregiver(world.svc, who.principal, "sam.child", [K.PHYSICAL_SIGNS])
    with pytest.raises(AccessDenied):
        caregivers_of(world.svc, carer.principal)


def test_danger_notices_reach_the_caregivers_the_patient_chose(
    world: World, carer: Account
) -> None:
    quiet = sign_up(world.svc, "alex.child", "a long caregiver password", role=Role.CAREGIVER)
    invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.PHYSICAL_SIGNS])
    rel = invite_caregiver(
        world.svc, world.patient.principal, "alex.child", [K.PHYSICAL_SIGNS], danger_notices=False
    )
    save_readings(world.svc, world.patient.principal, CALM)
    save_readings(world.svc, world.patient.principal, DANGER)

    def danger(who: Account) -> list[str]:
        found = notifications(world.svc, who.principal)
        return [n.subject for n in found if n.topic == "danger"]

    assert danger(carer) == [str(PATIENT)]
    assert danger(quiet) == []
    set_danger_notices(world.svc, world.patient.principal, rel, True)
    save_readings(world.svc, world.patient.principal, {**DANGER, "measured_at": "2026-11-22T11:00"})
    assert danger(quiet) == [str(PATIENT)]
    changed = audit_entries(world.svc, world.patient.principal, PATIENT)
    assert any(e.action is Action.CARE_ALERTS for e in changed)
    with pytest.raises(NotFound):
        set_danger_notices(world.svc, world.other.principal, rel, False)


def test_a_caregiver_without_vital_signs_is_not_told(world: World, carer: Account) -> None:
    invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.LIFESTYLE])
    save_readings(world.svc, world.patient.principal, DANGER)
    assert [n.topic for n in notifications(world.svc, carer.principal)] == ["caregiver"]


def test_removed_in_one_step_and_then_reads_nothing(world: World, carer: Account) -> None:
    rel = invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.HEALTH_STATUS])
    end_care(world.svc, world.patient.principal, rel)
    assert _kinds_read(world, carer) == set()
    assert patients_of(world.svc, carer.principal) == []
    assert caregivers_of(world.svc, world.patient.principal) == []
    assert patient_name(world.svc, carer.principal, PATIENT).startswith("Patient ")
    # Asked in again later: a new relationship, nothing left over.
    invite_caregiver(world.svc, world.patient.principal, "sam.child", [K.LIFESTYLE])
    assert caregivers_of(world.svc, world.patient.principal)[0].kinds == (K.LIFESTYLE,)


def test_an_administrator_can_make_a_caregiver_account(world: World) -> None:
    made = create_user(world.svc, OPERATOR, "pat.helper", Role.CAREGIVER, password="x" * 12)
    assert made.role is Role.CAREGIVER
    care(world, world.doctor)  # clinicians are unaffected
    invite_caregiver(world.svc, world.patient.principal, "pat.helper", [K.PHYSICAL_SIGNS])
    assert {c.username for c in caregivers_of(world.svc, world.patient.principal)} == {"pat.helper"}
