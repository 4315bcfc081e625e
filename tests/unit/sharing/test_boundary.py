"""The use-case layer is the authorization boundary.

Every public use case takes the acting principal and checks it before anything is done;
the web and CLI layers only say who asks. A walk over ``phr_share.sharing.__all__`` keeps
new use cases in that shape; a table calls each one as someone it is not for.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

import phr_share.sharing as sharing
from phr_share.errors import AccessDenied, NotFound
from phr_share.models import Principal, Reason, Role, SegmentKind
from phr_share.sharing import OPERATOR, Account, Services, create_user, ingest_document
from tests.conftest import PATIENT

# Public callables that rightly take no principal, and why.
NO_PRINCIPAL = {
    # Build the services, or the state they open, themselves; touch no one's data.
    "open_services",
    "prepare_state",
    # The password, or the API token, is the proof of who asks.
    "authenticate",
    "authenticate_token",
    # A patient's own account from the sign-up page: no one is signed in yet.
    "sign_up",
    # The web session's id is a secret only its browser holds: it is the proof.
    "start_session",
    "session_account",
    "end_session",
    "other_sessions",
    "end_other_sessions",
    # Checks a proof file a patient holds against the log's public key, offline.
    "check_proof",
    # Signing in to an account with a second factor, before any principal exists: the
    # password was just checked (it returned the account), then the pending sign-in's
    # id, a secret only its browser holds, and the code are the proof.
    "start_second_step",
    "pending_sign_in",
    "finish_second_step",
    # A forgotten password: nobody is signed in; the answer is the same for any name, and
    # the link's token, a secret only its mailbox holds, is the proof.
    "forgot_password",
    "reset_link_works",
    "use_reset_link",
    # Names of things (a container, an object), computed from ids: no data.
    "container_for",
    "object_name",
    # Pure: charts or summarises sections the caller already read through read_segment.
    "summary_from",
    # Pure: a dashboard, summary or saved reading the caller already has, in words and
    # chart data; nothing is read.
    "readout_of",
    "summary_answer",
    "danger_advice",
    # The probes of a load balancer and the operator's page: whether the database and
    # the stores answer, and how much work waits; no one's data, and only error codes.
    "readiness",
    "component_health",
    "queue_depths",
}


def _use_cases() -> list[tuple[str, Callable[..., object]]]:
    found = []
    for name in sharing.__all__:
        value = getattr(sharing, name)
        if inspect.isfunction(value):
            found.append((name, value))
    return found


def test_the_walk_finds_the_use_cases() -> None:
    names = {name for name, _ in _use_cases()}
    assert {"read_segment", "ingest_document", "erase_patient", "grants_of"} <= names
    assert names >= NO_PRINCIPAL, "an exemption names something that is not a use case"


@pytest.mark.parametrize(("name", "function"), _use_cases())
def test_every_public_use_case_takes_the_acting_principal(
    name: str, function: Callable[..., object]
) -> None:
    if name in NO_PRINCIPAL:
        return
    hints = inspect.get_annotations(function, eval_str=True)
    parameters = list(inspect.signature(function).parameters)
    assert parameters[0] == "svc", f"{name} takes the services first"
    assert hints[parameters[1]] is Principal, f"{name} takes the acting principal second"


@dataclass
class Cast:
    svc: Services
    patient: Account
    other: Account
    doctor: Account
    researcher: Account
    admin: Account


@pytest.fixture
def cast(services: Services, demo_ccd: bytes) -> Cast:
    def make(name: str, role: Role, patient_id: uuid.UUID | None = None) -> Account:
        return create_user(services, OPERATOR, name, role, patient_id=patient_id)

    cast = Cast(
        services,
        make("jordan", Role.PATIENT, PATIENT),
        make("other.patient", Role.PATIENT),
        make("dr.kim", Role.DOCTOR),
        make("lab", Role.RESEARCHER),
        make("admin", Role.ADMIN),
    )
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    return cast


# (use case, who calls it that it is not for) -> the call. Each must be refused.
STRANGERS: dict[str, Callable[[Cast, Principal], object]] = {
    "grants_of": lambda c, p: sharing.grants_of(c.svc, p, PATIENT),
    "links_of": lambda c, p: sharing.links_of(c.svc, p),
    "stored_documents": lambda c, p: sharing.stored_documents(c.svc, p, PATIENT),
    "released_kinds": lambda c, p: sharing.released_kinds(c.svc, p, PATIENT),
    "choose_release": lambda c, p: sharing.choose_release(
        c.svc, p, PATIENT, {SegmentKind.PHYSICAL_SIGNS}
    ),
    "sensitivity_of": lambda c, p: sharing.sensitivity_of(c.svc, p),
    "ingest_document": lambda c, p: sharing.ingest_document(c.svc, p, b"<x/>", PATIENT),
    "ingest_batch": lambda c, p: sharing.ingest_batch(c.svc, p, [(b"<x/>", PATIENT)]),
    "emergencies_of": lambda c, p: sharing.emergencies_of(c.svc, p, PATIENT),
    "current_segments": lambda c, p: sharing.current_segments(c.svc, p, PATIENT),
    "segments_of": lambda c, p: sharing.segments_of(c.svc, p, PATIENT),
    "document_types": lambda c, p: sharing.document_types(c.svc, p, PATIENT),
    "erase_patient": lambda c, p: sharing.erase_patient(c.svc, p, PATIENT),
    "audit_entries": lambda c, p: list(sharing.audit_entries(c.svc, p, PATIENT)),
    "access_history": lambda c, p: sharing.access_history(c.svc, p, PATIENT),
    "export_fhir": lambda c, p: sharing.export_fhir(c.svc, p, PATIENT),
    "decisions_for": lambda c, p: sharing.decisions_for(c.svc, p, []),
    "research_preview": lambda c, p: sharing.research_preview(c.svc, p),
    "export_document": lambda c, p: sharing.export_document(c.svc, p, 1),
    "run_release": lambda c, p: sharing.run_release(c.svc, p),
    "rotate_master": lambda c, p: sharing.rotate_master(c.svc, p),
    "retire_master": lambda c, p: sharing.retire_master(c.svc, p, "v1"),
    "recover": lambda c, p: sharing.recover(c.svc, p),
    "recover_releases": lambda c, p: sharing.recover_releases(c.svc, p),
    "verify_audit": lambda c, p: sharing.verify_audit(c.svc, p),
    "latest_entries": lambda c, p: sharing.latest_entries(c.svc, p),
    "create_user": lambda c, p: sharing.create_user(c.svc, p, "mallory", Role.ADMIN),
    "reset_password": lambda c, p: sharing.reset_password(c.svc, p, "jordan", "x" * 12),
    "staff_accounts": lambda c, p: sharing.staff_accounts(c.svc, p),
    "review_queue": lambda c, p: sharing.review_queue(c.svc, p),
    "patients_of": lambda c, p: sharing.patients_of(c.svc, p),
    "write_note": lambda c, p: sharing.write_note(c.svc, p, PATIENT, "a note"),
    "declare_emergency": lambda c, p: sharing.declare_emergency(
        c.svc, p, PATIENT, "a reason that is long enough"
    ),
}


# Use cases about the caller's own record: another patient gets their own, rightly.
OWN_RECORD = {"links_of", "sensitivity_of", "decisions_for", "research_preview", "export_document"}


def _callers(cast: Cast, use_case: str) -> dict[str, Principal]:
    callers = {
        "a researcher": cast.researcher.principal,
        "a disabled patient": Principal(cast.patient.principal.id, Role.PATIENT, PATIENT, False),
    }
    if use_case not in OWN_RECORD:
        callers["another patient"] = cast.other.principal
    return callers


@pytest.mark.parametrize("use_case", sorted(STRANGERS))
def test_a_use_case_refuses_who_it_is_not_for(cast: Cast, use_case: str) -> None:
    before = len(list(sharing.audit_entries(cast.svc, OPERATOR)))
    for who, principal in _callers(cast, use_case).items():
        with pytest.raises(AccessDenied) as refused:
            STRANGERS[use_case](cast, principal)
        assert isinstance(refused.value.reason, Reason), (use_case, who)
    # Nothing was done on the way to the refusal (a read decision would be audited;
    # none of these reaches one).
    assert len(list(sharing.audit_entries(cast.svc, OPERATOR))) == before
    assert sharing.stored_documents(cast.svc, cast.patient.principal, PATIENT)


def test_a_patient_cannot_look_another_patient_up(cast: Cast) -> None:
    me = cast.patient.principal
    with pytest.raises(NotFound):
        sharing.find_account(cast.svc, me, username="other.patient")
    assert sharing.find_account(cast.svc, me, username="dr.kim").id == cast.doctor.id
    assert sharing.find_account(cast.svc, me, username="jordan").patient_id == PATIENT
    assert sharing.find_account(cast.svc, cast.admin.principal, username="other.patient")


def test_another_patients_segment_is_not_found_for_a_patient(cast: Cast) -> None:
    [first, *_] = sharing.segments_of(cast.svc, OPERATOR, PATIENT)
    with pytest.raises(NotFound):
        sharing.find_segment(cast.svc, cast.other.principal, first.tracking_id)
    found = sharing.find_segment(cast.svc, cast.patient.principal, first.tracking_id)
    assert found == first
    with pytest.raises(AccessDenied):
        sharing.find_segment(cast.svc, cast.researcher.principal, first.tracking_id)


def test_an_admin_sees_ids_and_codes_but_never_stores_or_reads(cast: Cast) -> None:
    admin = cast.admin.principal
    assert sharing.grants_of(cast.svc, admin, PATIENT) == []
    assert sharing.released_kinds(cast.svc, admin, PATIENT) == set()
    for refused in (
        lambda: sharing.stored_documents(cast.svc, admin, PATIENT),
        lambda: sharing.erase_patient(cast.svc, admin, PATIENT),
        lambda: sharing.ingest_document(cast.svc, admin, b"<x/>", PATIENT),
    ):
        with pytest.raises(AccessDenied):
            refused()


def test_an_unknown_reason_code_is_refused() -> None:
    with pytest.raises(ValueError, match="not-a-reason"):
        AccessDenied("not-a-reason")  # type: ignore[arg-type]
    assert AccessDenied(Reason.NOT_OWNER).reason is Reason.NOT_OWNER
