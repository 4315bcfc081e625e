"""Second factors and the sign-in throttle over the real database."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from phr_share.audit import Action, Outcome
from phr_share.consent import Role
from phr_share.consent.totp import code_at, step_of
from phr_share.db import MfaFactor, Notification, RecoveryCode, SignInFailure
from phr_share.errors import (
    AccessDenied,
    InvalidState,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from phr_share.models import Reason
from phr_share.sharing import (
    OPERATOR,
    Account,
    Services,
    audit_entries,
    authenticate,
    change_password,
    confirm_enrolment,
    create_user,
    finish_second_step,
    issue_token,
    mfa_status,
    new_recovery_codes,
    pending_sign_in,
    remove_mfa,
    reset_mfa,
    session_account,
    staff_accounts,
    start_enrolment,
    start_second_step,
    start_session,
)
from tests.unit.sharing.conftest import enrol

PASSWORD = "correct horse battery"
HERE, THERE = "127.0.0.2", "127.0.0.3"


def _later(svc: Services, **delta: float) -> None:
    moment = svc.clock() + timedelta(**delta)
    svc.clock = lambda: moment


def _code(svc: Services, secret: str, offset: int = 0) -> str:
    return code_at(secret, step_of(svc.clock()) + offset)


@pytest.fixture
def doctor(services: Services) -> Account:
    return create_user(services, OPERATOR, "dr.kim", Role.DOCTOR, password=PASSWORD)


def _actions(svc: Services) -> list[tuple[Action, Outcome]]:
    return [(e.action, e.outcome) for e in audit_entries(svc, OPERATOR)]


def test_setting_up_totp_seals_the_secret_and_hashes_the_recovery_codes(
    services: Services, doctor: Account
) -> None:
    assert authenticate(services, "dr.kim", PASSWORD).needs_mfa_setup
    enrolment = start_enrolment(services, doctor.principal)
    assert start_enrolment(services, doctor.principal) == enrolment  # a reload: the same one
    assert enrolment.uri.startswith("otpauth://totp/PHR%20Share:dr.kim?secret=")
    with pytest.raises(Unauthenticated):
        confirm_enrolment(services, doctor.principal, _code(services, enrolment.secret, 2))
    assert not mfa_status(services, doctor.principal).enrolled
    codes = confirm_enrolment(services, doctor.principal, _code(services, enrolment.secret))
    assert len(set(codes)) == 10
    status = mfa_status(services, doctor.principal)
    assert (status.enrolled, status.required, status.recovery_left) == (True, True, 10)
    with services.db.session() as session:
        [factor] = session.scalars(select(MfaFactor)).all()
        digests = set(session.scalars(select(RecoveryCode.digest)))
    assert enrolment.secret.encode() not in factor.sealed_secret  # never in clear
    assert not {c.encode() for c in codes} & {d.encode() for d in digests}
    assert all(len(d) == 64 for d in digests)
    with pytest.raises(InvalidState):
        start_enrolment(services, doctor.principal)
    assert (Action.MFA_ENROL, Outcome.OK) in _actions(services)
    assert (Action.MFA_FAIL, Outcome.DENIED) in _actions(services)


def test_signing_in_takes_the_code_after_the_password_and_a_code_works_once(
    services: Services, doctor: Account
) -> None:
    secret = enrol(services, doctor)
    account = authenticate(services, "dr.kim", PASSWORD)
    assert account.mfa
    assert not account.needs_mfa_setup
    pending = start_second_step(services, account)
    assert pending_sign_in(services, pending) == account
    assert session_account(services, pending) is None  # not a session
    with pytest.raises(Unauthenticated):  # the enrolment already used this step's code
        finish_second_step(services, pending, _code(services, secret))
    assert finish_second_step(services, pending, _code(services, secret, 1)).id == doctor.id
    assert pending_sign_in(services, pending) is None  # used up
    again = start_second_step(services, account)
    with pytest.raises(Unauthenticated):  # the same code, replayed
        finish_second_step(services, again, _code(services, secret, 1))
    _later(services, seconds=60)  # two steps on: the one before now was used already
    with pytest.raises(Unauthenticated):
        finish_second_step(services, again, _code(services, secret, -1))
    assert finish_second_step(services, again, _code(services, secret)).id == doctor.id


def test_a_recovery_code_works_once(services: Services, doctor: Account) -> None:
    enrolment = start_enrolment(services, doctor.principal)
    codes = confirm_enrolment(services, doctor.principal, _code(services, enrolment.secret))
    account = authenticate(services, "dr.kim", PASSWORD)
    first = start_second_step(services, account)
    assert finish_second_step(services, first, codes[3].upper()).id == doctor.id
    second = start_second_step(services, account)
    with pytest.raises(Unauthenticated):
        finish_second_step(services, second, codes[3])
    assert mfa_status(services, doctor.principal).recovery_left == 9
    actions = _actions(services)
    assert actions.count((Action.MFA_RECOVERY_USED, Outcome.OK)) == 1
    assert (Action.MFA_FAIL, Outcome.DENIED) in actions
    fresh = new_recovery_codes(services, doctor.principal, codes[4])
    assert mfa_status(services, doctor.principal).recovery_left == 10
    third = start_second_step(services, account)
    with pytest.raises(Unauthenticated):  # the old set is void
        finish_second_step(services, third, codes[5])
    assert finish_second_step(services, third, fresh[0]).id == doctor.id


def test_a_pending_sign_in_lasts_five_minutes(services: Services, doctor: Account) -> None:
    secret = enrol(services, doctor)
    pending = start_second_step(services, authenticate(services, "dr.kim", PASSWORD))
    _later(services, minutes=5)
    assert pending_sign_in(services, pending) is None
    with pytest.raises(Unauthenticated, match="ran out"):
        finish_second_step(services, pending, _code(services, secret))


def test_tokens_only_for_staff_with_a_second_factor(services: Services, doctor: Account) -> None:
    with pytest.raises(AccessDenied) as refused:
        issue_token(services, doctor.principal, "laptop")
    assert refused.value.reason is Reason.MFA_REQUIRED
    patient = create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    assert issue_token(services, patient.principal, "phone").token  # patients may opt in
    enrol(services, doctor)
    assert issue_token(services, doctor.principal, "laptop").token


def test_the_roles_that_need_a_second_factor_are_a_setting(
    services: Services, doctor: Account
) -> None:
    services.settings = dataclasses.replace(services.settings, require_mfa_roles=frozenset())
    assert not authenticate(services, "dr.kim", PASSWORD).needs_mfa_setup
    assert issue_token(services, doctor.principal, "laptop").token


def test_removing_needs_a_code_and_puts_staff_back_to_setting_up(
    services: Services, doctor: Account
) -> None:
    secret = enrol(services, doctor)
    with pytest.raises(Unauthenticated):
        remove_mfa(services, doctor.principal, "000000")
    remove_mfa(services, doctor.principal, _code(services, secret, 1))
    assert authenticate(services, "dr.kim", PASSWORD).needs_mfa_setup
    with pytest.raises(InvalidState):
        remove_mfa(services, doctor.principal, _code(services, secret, 1))
    assert (Action.MFA_REMOVE, Outcome.OK) in _actions(services)


def test_an_admin_resets_a_lost_second_factor(services: Services, doctor: Account) -> None:
    admin = create_user(services, OPERATOR, "admin", Role.ADMIN)
    enrol(services, doctor)
    signed_in = start_session(services, doctor)
    with pytest.raises(AccessDenied):
        reset_mfa(services, doctor.principal, doctor.id)
    with pytest.raises(NotFound):
        reset_mfa(services, admin.principal, uuid.UUID(int=7))
    assert reset_mfa(services, admin.principal, doctor.id) == 1
    assert session_account(services, signed_in) is None
    assert [a.mfa for a in staff_accounts(services, admin.principal) if a.id == doctor.id] == [
        False
    ]
    with services.db.session() as session:
        assert session.scalars(select(RecoveryCode)).all() == []
        [notice] = session.scalars(select(Notification)).all()
    assert (notice.user_id, notice.topic) == (doctor.id, "mfa-reset")
    with pytest.raises(InvalidState):
        reset_mfa(services, admin.principal, doctor.id)
    assert (Action.MFA_RESET, Outcome.OK) in _actions(services)
    enrol(services, doctor)
    assert reset_mfa(services, OPERATOR, doctor.id) == 0  # the operator too (the command)


# -- the throttle ----------------------------------------------------------------------


def _wrong(svc: Services, username: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            authenticate(svc, username, "not the password", address=address)


def test_five_wrong_passwords_hold_back_that_account_from_that_address_only(
    services: Services, doctor: Account
) -> None:
    create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    _wrong(services, "jordan", HERE, 5)
    with pytest.raises(TooManyAttempts) as held:
        authenticate(services, "jordan", PASSWORD, address=HERE)  # the right one too
    assert held.value.retry_after == 15 * 60
    assert held.value.message == (
        "Too many wrong passwords for this account. Try again in 15 minutes."
    )
    assert authenticate(services, "dr.kim", PASSWORD, address=HERE).id == doctor.id
    assert authenticate(services, "jordan", PASSWORD, address=THERE).username == "jordan"
    _later(services, minutes=13)
    with pytest.raises(TooManyAttempts, match="Try again in 2 minutes"):
        authenticate(services, "jordan", PASSWORD, address=HERE)
    _later(services, minutes=2)
    assert authenticate(services, "jordan", PASSWORD, address=HERE).username == "jordan"


def test_a_right_sign_in_forgets_the_failures_from_its_address(services: Services) -> None:
    create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    _wrong(services, "jordan", HERE, 4)
    authenticate(services, "jordan", PASSWORD, address=HERE)
    _wrong(services, "jordan", HERE, 4)  # four more are allowed again
    authenticate(services, "jordan", PASSWORD, address=HERE)


def test_an_account_under_attack_still_lets_its_owner_in_from_another_address(
    services: Services,
) -> None:
    create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    for n in range(4):  # 20 guesses from four addresses
        _wrong(services, "jordan", f"127.0.1.{n}", 5)
    _wrong(services, "jordan", "127.0.2.1")  # one guess, then this address waits
    with pytest.raises(TooManyAttempts):
        authenticate(services, "jordan", PASSWORD, address="127.0.2.1")
    assert authenticate(services, "jordan", PASSWORD, address=THERE).username == "jordan"


def test_spraying_from_one_address_holds_it_back_for_everyone(services: Services) -> None:
    create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    for n in range(100):
        _wrong(services, f"guess{n}", HERE)
    with pytest.raises(TooManyAttempts, match="from this network"):
        authenticate(services, "jordan", PASSWORD, address=HERE)
    assert authenticate(services, "jordan", PASSWORD, address=THERE).username == "jordan"


def test_wrong_codes_stop_codes_for_the_account_from_anywhere(
    services: Services, doctor: Account
) -> None:
    secret = enrol(services, doctor)
    account = authenticate(services, "dr.kim", PASSWORD, address=HERE)
    pending = start_second_step(services, account)
    for n in range(5):
        with pytest.raises(Unauthenticated):
            finish_second_step(services, pending, f"{n:06d}", address=f"127.0.3.{n}")
    pending = start_second_step(services, authenticate(services, "dr.kim", PASSWORD))
    with pytest.raises(TooManyAttempts, match="Too many wrong codes"):
        finish_second_step(services, pending, _code(services, secret, 1), address=THERE)
    assert [e for e in _actions(services) if e[0] is Action.MFA_FAIL] == [
        (Action.MFA_FAIL, Outcome.DENIED)
    ] * 5


def test_a_password_change_is_held_back_only_by_its_own_accounts_guesses(
    services: Services, doctor: Account
) -> None:
    jordan = create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    _wrong(services, "dr.kim", HERE, 5)  # someone else, from the same clinic address
    change_password(services, jordan.principal, PASSWORD, PASSWORD + " 2", address=HERE)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            change_password(services, jordan.principal, "guess", "x" * 12, address=HERE)
    with pytest.raises(TooManyAttempts):
        change_password(services, jordan.principal, PASSWORD + " 2", "y" * 12, address=HERE)


def test_another_process_sees_the_same_counts(services: Services, second_process: Services) -> None:
    create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    _wrong(services, "jordan", HERE, 3)
    _wrong(second_process, "jordan", HERE, 2)
    for svc in (services, second_process):
        with pytest.raises(TooManyAttempts):
            authenticate(svc, "jordan", PASSWORD, address=HERE)
    with services.db.session() as session:  # usernames and addresses only as digests
        rows = session.scalars(select(SignInFailure)).all()
    stored = " ".join(f"{r.account} {r.address}" for r in rows)
    assert len(rows) == 5
    assert "jordan" not in stored
    assert HERE not in stored
