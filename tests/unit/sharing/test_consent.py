"""Consent through the real use cases and database: the decision matrix again, end to end.

Each state is made the way a person would make it (invite, accept, grant, revoke, ask a
partner in, declare an emergency, create a link) and then a real read is attempted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from phr_share.audit import Action, Outcome
from phr_share.consent import Principal, Purpose, Role, Sensitivity
from phr_share.db import ShareLink
from phr_share.errors import AccessDenied, InvalidInput, InvalidState, NotFound
from phr_share.models import SegmentKind as K
from phr_share.sharing import (
    OPERATOR,
    ROUTER,
    Account,
    Services,
    accept_care,
    answer_delegation,
    ask_partner,
    audit_entries,
    care_of,
    change_grant,
    choose_release,
    choose_released_kinds,
    choose_sensitivity,
    create_share_link,
    create_user,
    current_segments,
    declare_emergency,
    display_names,
    end_care,
    grant_access,
    grants_of,
    ingest_document,
    invite_clinician,
    open_share_link,
    patient_name,
    read_segment,
    readable_segments,
    request_care,
    revoke_grant,
    revoke_share_link,
    sensitivity_levels,
    sensitivity_of,
    set_sensitivity,
    try_policy,
    verify_audit,
)
from tests.conftest import PATIENT

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    svc: Services
    clock: Clock
    patient: Account
    doctor: Account
    nurse: Account
    partner: Account
    researcher: Account
    admin: Account
    other: Account

    def segment(self, kind: K) -> object:
        return next(r for r in current_segments(self.svc, OPERATOR, PATIENT) if r.kind is kind)


@pytest.fixture
def world(services: Services, demo_ccd: bytes) -> World:
    clock = Clock()
    services.clock = clock
    make = lambda name, role, **kw: create_user(services, OPERATOR, name, role, **kw)  # noqa: E731
    w = World(
        services,
        clock,
        make("jordan", Role.PATIENT, patient_id=PATIENT, password="correct horse battery"),
        make("dr.kim", Role.DOCTOR),
        make("nurse.lee", Role.NURSE),
        make("dr.partner", Role.DOCTOR),
        make("lab.researcher", Role.RESEARCHER),
        make("admin", Role.ADMIN),
        make("other.patient", Role.PATIENT),
    )
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    return w


def care(w: World, clinician: Account) -> None:
    rel = invite_clinician(w.svc, w.patient.principal, clinician.id)
    accept_care(w.svc, clinician.principal, rel)


@dataclass(frozen=True)
class Case:
    """Set a state up; then ``who`` reads ``kind`` for ``purpose``: permitted, or this reason."""

    setup: Callable[[World], object]
    who: str
    kind: K
    expect: str | None
    purpose: Purpose = Purpose.TREATMENT


def _grant(w: World, kinds: set[K] | None = None, **kw: object) -> int:
    care(w, w.doctor)
    return grant_access(w.svc, w.patient.principal, w.doctor.id, kinds, **kw)  # type: ignore[arg-type]


def _expired(w: World) -> None:
    _grant(w, {K.HEALTH_STATUS}, valid_until=START + DAY)
    w.clock.now = START + 2 * DAY


def _revoked(w: World) -> None:
    revoke_grant(w.svc, w.patient.principal, _grant(w, {K.HEALTH_STATUS}))


def _other_patient(w: World) -> None:
    rel = invite_clinician(w.svc, w.other.principal, w.doctor.id)
    accept_care(w.svc, w.doctor.principal, rel)
    grant_access(w.svc, w.other.principal, w.doctor.id, None)


def _delegated(approve: bool | None) -> Callable[[World], None]:
    def setup(w: World) -> None:
        _grant(w, {K.HEALTH_STATUS, K.LIFESTYLE})
        asked = ask_partner(w.svc, w.doctor.principal, w.partner.id, PATIENT, {K.HEALTH_STATUS})
        if approve is not None:
            answer_delegation(w.svc, w.patient.principal, asked, approve)

    return setup


def _emergency(hours: float) -> Callable[[World], None]:
    def setup(w: World) -> None:
        declare_emergency(w.svc, w.nurse.principal, PATIENT, "unconscious on arrival, no consent")
        w.clock.now = START + timedelta(hours=hours)

    return setup


CASES = {
    "owner": Case(lambda w: None, "patient", K.PATIENT_NARRATIVE, None),
    "other patient reads": Case(lambda w: None, "other", K.HEALTH_STATUS, "no-grant"),
    "no grant": Case(lambda w: care(w, w.doctor), "doctor", K.HEALTH_STATUS, "no-grant"),
    "active": Case(lambda w: _grant(w, {K.HEALTH_STATUS}), "doctor", K.HEALTH_STATUS, None),
    "expired": Case(_expired, "doctor", K.HEALTH_STATUS, "grant-expired"),
    "revoked": Case(_revoked, "doctor", K.HEALTH_STATUS, "grant-revoked"),
    "grant on another patient": Case(_other_patient, "doctor", K.HEALTH_STATUS, "no-grant"),
    "kind not granted": Case(
        lambda w: _grant(w, {K.HEALTH_STATUS}), "doctor", K.LIFESTYLE, "kind-not-granted"
    ),
    "restricted under blanket": Case(
        lambda w: _grant(w, None), "doctor", K.FAMILY_HISTORY, "restricted-kind-not-named"
    ),
    "very restricted under blanket": Case(
        lambda w: _grant(w, None), "doctor", K.PATIENT_NARRATIVE, "very-restricted-kind"
    ),
    "restricted named": Case(
        lambda w: _grant(w, {K.FAMILY_HISTORY}), "doctor", K.FAMILY_HISTORY, None
    ),
    "deny exception": Case(
        lambda w: _grant(w, None, except_kinds={K.LIFESTYLE}),
        "doctor",
        K.LIFESTYLE,
        "kind-excepted",
    ),
    "delegated pending": Case(_delegated(None), "partner", K.HEALTH_STATUS, "grant-pending"),
    "delegated approved": Case(_delegated(True), "partner", K.HEALTH_STATUS, None),
    "delegated refused": Case(_delegated(False), "partner", K.HEALTH_STATUS, "grant-refused"),
    "break-glass active": Case(_emergency(3), "nurse", K.HEALTH_STATUS, None, Purpose.EMERGENCY),
    "break-glass expired": Case(
        _emergency(5), "nurse", K.HEALTH_STATUS, "break-glass-expired", Purpose.EMERGENCY
    ),
    "break-glass without emergency purpose": Case(
        _emergency(1), "nurse", K.HEALTH_STATUS, "no-grant"
    ),
    "researcher with nothing": Case(
        lambda w: None, "researcher", K.PHYSICAL_SIGNS, "role-not-permitted"
    ),
    "admin": Case(lambda w: None, "admin", K.HEALTH_STATUS, "role-not-permitted"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_state_through_the_real_read_path(world: World, name: str) -> None:
    case = CASES[name]
    case.setup(world)
    who: Account = getattr(world, case.who)
    record = world.segment(case.kind)
    if case.expect is None:
        assert read_segment(world.svc, who.principal, record, purpose=case.purpose)  # type: ignore[arg-type]
    else:
        with pytest.raises(AccessDenied) as denied:
            read_segment(world.svc, who.principal, record, purpose=case.purpose)  # type: ignore[arg-type]
        assert denied.value.reason == case.expect
    last = list(audit_entries(world.svc, OPERATOR))[-1]
    assert (last.action, last.actor) == (Action.READ, who.principal.id)
    assert last.outcome is (Outcome.OK if case.expect is None else Outcome.DENIED)
    assert last.details["reason"] != ""
    assert verify_audit(world.svc, OPERATOR).broken is None


@pytest.mark.parametrize(
    ("state", "expect"),
    [
        ("fresh", None),
        ("used", "link-used"),
        ("expired", "link-expired"),
        ("revoked", "link-revoked"),
    ],
)
def test_share_links(world: World, state: str, expect: str | None) -> None:
    link = create_share_link(world.svc, world.patient.principal, world.doctor.id, {K.LIFESTYLE})
    assert link.expires_at == START + timedelta(hours=48)
    if state == "used":
        open_share_link(world.svc, world.doctor.principal, link.token)
    elif state == "expired":
        world.clock.now = START + timedelta(hours=48)
    elif state == "revoked":
        revoke_share_link(world.svc, world.patient.principal, link.id)
    if expect is None:
        opened = open_share_link(world.svc, world.doctor.principal, link.token)
        assert {r.kind for r, _ in opened} == {K.LIFESTYLE}
        assert all(content for _, content in opened)
        reads = [e for e in audit_entries(world.svc, OPERATOR) if e.action is Action.READ]
        assert reads[-1].details["basis"] == f"link:{link.id}"
    else:
        with pytest.raises(AccessDenied) as denied:
            open_share_link(world.svc, world.doctor.principal, link.token)
        assert denied.value.reason == expect


def test_a_link_is_for_the_named_doctor_only_and_its_token_is_not_stored(world: World) -> None:
    link = create_share_link(world.svc, world.patient.principal, world.doctor.id, {K.LIFESTYLE})
    with pytest.raises(AccessDenied) as denied:
        open_share_link(world.svc, world.partner.principal, link.token)
    assert denied.value.reason == "link-other-grantee"
    assert open_share_link(world.svc, world.doctor.principal, link.token)  # still unused
    with pytest.raises(NotFound):
        open_share_link(world.svc, world.doctor.principal, link.token + "x")
    with world.svc.db.session() as session:
        digests = session.scalars(select(ShareLink.digest)).all()
    assert link.token not in digests


def test_care_relationships_need_both_sides(world: World) -> None:
    svc, patient, doctor = world.svc, world.patient.principal, world.doctor
    with pytest.raises(InvalidState, match="care relationship"):
        grant_access(svc, patient, doctor.id, {K.HEALTH_STATUS})
    rel = request_care(svc, doctor.principal, PATIENT)
    with pytest.raises(AccessDenied):
        accept_care(svc, doctor.principal, rel)  # the patient accepts a request
    accept_care(svc, patient, rel)
    other_rel = invite_clinician(svc, world.other.principal, doctor.id)
    assert [c.id for c in care_of(svc, doctor.principal, PATIENT)] == [rel]  # one patient's
    assert {c.id for c in care_of(svc, doctor.principal)} == {rel, other_rel}
    grant_id = grant_access(svc, patient, doctor.id, {K.HEALTH_STATUS})
    with pytest.raises(InvalidInput):
        grant_access(svc, patient, world.researcher.id, None)
    end_care(svc, doctor.principal, rel)
    [history] = grants_of(svc, OPERATOR, PATIENT)
    assert history.terms.id == grant_id
    assert [e.event for e in history.history] == ["created", "revoked"]
    assert history.history[-1].actor == doctor.principal.id


def test_a_clinician_learns_the_patients_name_only_once_let_in(world: World) -> None:
    svc, patient, doctor = world.svc, world.patient.principal, world.doctor
    name, hidden = world.patient.display_name, f"Patient {str(PATIENT)[:8]}"

    def seen_by(account: Account) -> str:
        return patient_name(svc, account.principal, PATIENT)

    assert seen_by(doctor) == hidden  # knows the id, nothing more
    rel = request_care(svc, doctor.principal, PATIENT)
    assert seen_by(doctor) == hidden  # asking is not being let in
    [asked] = care_of(svc, doctor.principal)
    assert asked.patient_name == hidden  # nor in the list of their care relationships
    accept_care(svc, patient, rel)
    assert seen_by(doctor) == name
    assert [c.patient_name for c in care_of(svc, doctor.principal)] == [name]
    end_care(svc, patient, rel)
    assert seen_by(doctor) == hidden  # ended, and the grants with it
    invite_clinician(svc, patient, world.partner.id)
    assert seen_by(world.partner) == name  # the patient's own invitation
    assert seen_by(world.nurse) == hidden
    declare_emergency(svc, world.nurse.principal, PATIENT, "unconscious on arrival, no consent")
    assert seen_by(world.nurse) == name
    assert seen_by(world.patient) == name
    assert seen_by(world.other) == hidden
    assert patient_name(svc, OPERATOR, PATIENT) == hidden  # ids, never names, for the operator


def test_grant_history_and_changes(world: World) -> None:
    grant_id = _grant(world, {K.HEALTH_STATUS})
    world.clock.now = START + DAY
    change_grant(world.svc, world.patient.principal, grant_id, kinds={K.HEALTH_STATUS, K.LIFESTYLE})
    assert read_segment(world.svc, world.doctor.principal, world.segment(K.LIFESTYLE))  # type: ignore[arg-type]
    revoke_grant(world.svc, world.patient.principal, grant_id)
    revoke_grant(world.svc, world.patient.principal, grant_id)  # idempotent
    [history] = grants_of(world.svc, OPERATOR, PATIENT)
    assert [(e.event, e.at) for e in history.history] == [
        ("created", START),
        ("changed", START + DAY),
        ("revoked", START + DAY),
    ]
    actions = [e.action for e in audit_entries(world.svc, OPERATOR)]
    assert actions.count(Action.GRANT_REVOKE) == 1
    with pytest.raises(InvalidState):
        change_grant(world.svc, world.patient.principal, grant_id, kinds={K.OTHER})
    with pytest.raises(AccessDenied):
        revoke_grant(world.svc, world.doctor.principal, grant_id)


def test_a_clinician_passes_on_only_what_they_may_read(world: World) -> None:
    _grant(world, {K.HEALTH_STATUS})
    with pytest.raises(AccessDenied):
        ask_partner(world.svc, world.doctor.principal, world.partner.id, PATIENT, {K.LIFESTYLE})
    with pytest.raises(AccessDenied):
        ask_partner(world.svc, world.researcher.principal, world.partner.id, PATIENT, {K.OTHER})


def test_patient_overrides_of_sensitivity(world: World) -> None:
    _grant(world, None)
    doctor, patient = world.doctor.principal, world.patient.principal
    set_sensitivity(world.svc, patient, K.FAMILY_HISTORY, Sensitivity.NORMAL)
    assert read_segment(world.svc, doctor, world.segment(K.FAMILY_HISTORY))  # type: ignore[arg-type]
    set_sensitivity(world.svc, patient, K.LIFESTYLE, Sensitivity.VERY_RESTRICTED)
    with pytest.raises(AccessDenied, match="very-restricted"):
        read_segment(world.svc, doctor, world.segment(K.LIFESTYLE))  # type: ignore[arg-type]
    set_sensitivity(world.svc, patient, K.LIFESTYLE, None)
    assert read_segment(world.svc, doctor, world.segment(K.LIFESTYLE))  # type: ignore[arg-type]


def test_levels_are_chosen_together_and_a_default_keeps_no_override(world: World) -> None:
    patient = world.patient.principal
    default = sensitivity_levels(world.svc, patient)
    assert set(default) == set(K)
    assert default[K.LIFESTYLE] is not Sensitivity.VERY_RESTRICTED
    chosen = {K.LIFESTYLE: Sensitivity.VERY_RESTRICTED, K.FAMILY_HISTORY: default[K.FAMILY_HISTORY]}
    choose_sensitivity(world.svc, patient, chosen)
    assert sensitivity_of(world.svc, patient) == {K.LIFESTYLE: Sensitivity.VERY_RESTRICTED}
    assert sensitivity_levels(world.svc, patient) == default | {
        K.LIFESTYLE: Sensitivity.VERY_RESTRICTED
    }
    choose_sensitivity(world.svc, patient, {K.LIFESTYLE: None})
    assert sensitivity_levels(world.svc, patient) == default
    with pytest.raises(AccessDenied):
        sensitivity_levels(world.svc, world.doctor.principal)
    with pytest.raises(AccessDenied):
        choose_sensitivity(world.svc, world.doctor.principal, {K.LIFESTYLE: None})


def test_research_release_is_chosen_as_a_whole(world: World) -> None:
    patient = world.patient.principal
    first, second = sorted(world.svc.routing.releasable)[:2]
    both = choose_released_kinds(world.svc, patient, PATIENT, {first, second})
    assert both == {first, second}
    assert choose_released_kinds(world.svc, patient, PATIENT, {second}) == {second}
    assert choose_released_kinds(world.svc, patient, PATIENT, set()) == set()


def test_a_patient_learns_carers_names_at_once_but_not_another_patients(world: World) -> None:
    patient = world.patient.principal
    carers = [world.doctor.id, world.nurse.id]
    assert display_names(world.svc, patient, carers) == {
        world.doctor.id: world.doctor.display_name,
        world.nurse.id: world.nurse.display_name,
    }
    assert display_names(world.svc, patient, []) == {}
    with pytest.raises(NotFound):
        display_names(world.svc, patient, [world.doctor.id, world.other.id])


def test_try_my_policy_matches_what_the_grantee_then_gets(world: World) -> None:
    _grant(world, None, except_kinds={K.LIFESTYLE})
    preview = try_policy(world.svc, world.patient.principal, world.doctor.principal)
    assert {r.tracking_id for r, d in preview} == {
        r.tracking_id for r in current_segments(world.svc, OPERATOR, PATIENT)
    }
    allowed = {r.tracking_id for r, d in preview if d.permit}
    visible = readable_segments(world.svc, world.doctor.principal, PATIENT)
    assert allowed == {r.tracking_id for r in visible}
    for record, decision in preview:
        if decision.permit:
            assert read_segment(world.svc, world.doctor.principal, record)
        else:
            with pytest.raises(AccessDenied, match=decision.reason.value):
                read_segment(world.svc, world.doctor.principal, record)
    kinds = {r.kind for r in visible}
    assert K.LIFESTYLE not in kinds
    assert K.PATIENT_NARRATIVE not in kinds
    assert K.HEALTH_STATUS in kinds
    with pytest.raises(AccessDenied):
        try_policy(world.svc, world.doctor.principal, world.doctor.principal)


def test_withdrawing_research_release_is_honoured_by_the_router(world: World) -> None:
    choose_release(world.svc, OPERATOR, PATIENT, {K.PHYSICAL_SIGNS})
    record = world.segment(K.PHYSICAL_SIGNS)
    header = world.segment(K.PERSONAL)
    assert read_segment(world.svc, ROUTER, record, purpose=Purpose.RESEARCH)  # type: ignore[arg-type]
    assert read_segment(world.svc, ROUTER, header, purpose=Purpose.RESEARCH)  # type: ignore[arg-type]
    choose_release(world.svc, OPERATOR, PATIENT, withdraw={K.PHYSICAL_SIGNS})
    for segment in (record, header):
        with pytest.raises(AccessDenied, match="not-released"):
            read_segment(world.svc, ROUTER, segment, purpose=Purpose.RESEARCH)  # type: ignore[arg-type]


def test_a_principal_cannot_claim_someone_elses_patient_id(world: World) -> None:
    # Principals come from authentication; a forged one for another patient gets nothing.
    forged = Principal(world.other.principal.id, Role.PATIENT, uuid.uuid4())
    with pytest.raises(AccessDenied, match="no-grant"):
        read_segment(world.svc, forged, world.segment(K.HEALTH_STATUS))  # type: ignore[arg-type]
