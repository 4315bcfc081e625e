"""Accounts over the real database: login, web sessions, API tokens, disabling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from phr_share.audit import Action, Outcome
from phr_share.consent import Role
from phr_share.db import ApiToken, User, WebSession
from phr_share.errors import AccessDenied, InvalidInput, InvalidState, NotFound, Unauthenticated
from phr_share.sharing import (
    OPERATOR,
    Services,
    audit_entries,
    authenticate,
    authenticate_token,
    change_password,
    create_user,
    disable_user,
    end_other_sessions,
    end_session,
    issue_token,
    other_sessions,
    principal_of,
    reset_password,
    revoke_token,
    session_account,
    start_session,
)
from tests.unit.sharing.conftest import enrol

PASSWORD = "correct horse battery"


def test_login_with_a_password(services: Services) -> None:
    account = create_user(services, OPERATOR, "Jordan", Role.PATIENT, password=PASSWORD)
    assert account.username == "jordan"
    assert account.patient_id is not None
    assert authenticate(services, "JORDAN", PASSWORD).id == account.id
    for user, password in [("jordan", "wrong password!"), ("nobody", PASSWORD)]:
        with pytest.raises(Unauthenticated) as refused:
            authenticate(services, user, password)
        assert refused.value.message == "the credentials were not accepted"
    with services.db.session() as session:
        stored = session.scalars(select(User.password_hash)).one()
    assert stored is not None
    assert stored.startswith("scrypt$")
    assert PASSWORD not in stored
    logins = [e for e in audit_entries(services, OPERATOR) if e.action is Action.LOGIN]
    assert [e.outcome for e in logins] == [Outcome.OK, Outcome.DENIED, Outcome.DENIED]
    assert logins[-1].actor == "anonymous"


def test_an_account_without_password_cannot_log_in(services: Services) -> None:
    create_user(services, OPERATOR, "dr.kim", Role.DOCTOR)
    with pytest.raises(Unauthenticated):
        authenticate(services, "dr.kim", "")


@pytest.mark.parametrize(
    ("username", "role", "error"),
    [
        ("x", Role.DOCTOR, InvalidInput),
        ("Has Space", Role.DOCTOR, InvalidInput),
        ("router", Role.SYSTEM, InvalidInput),
        ("taken", Role.DOCTOR, InvalidState),
    ],
)
def test_bad_accounts_are_refused(
    services: Services, username: str, role: Role, error: type[Exception]
) -> None:
    create_user(services, OPERATOR, "taken", Role.NURSE)
    with pytest.raises(error):
        create_user(services, OPERATOR, username, role)


def test_api_tokens_expire_and_revoke(services: Services) -> None:
    account = create_user(services, OPERATOR, "lab", Role.RESEARCHER)
    issued = issue_token(services, account.principal, "pipeline", ttl=timedelta(days=1))
    assert authenticate_token(services, issued.token).id == account.id
    with services.db.session() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.digest != issued.token
        assert row.last_used_at is not None
    now = services.clock()
    services.clock = lambda: now + timedelta(days=1)
    with pytest.raises(Unauthenticated):
        authenticate_token(services, issued.token)
    services.clock = lambda: now
    other = create_user(services, OPERATOR, "other", Role.RESEARCHER)
    with pytest.raises(AccessDenied):
        revoke_token(services, other.principal, issued.id)
    revoke_token(services, account.principal, issued.id)
    with pytest.raises(Unauthenticated):
        authenticate_token(services, issued.token)
    with pytest.raises(Unauthenticated):
        authenticate_token(services, "phr_not-a-token")
    with pytest.raises(InvalidInput):
        issue_token(services, account.principal, "too long", ttl=timedelta(days=400))


def test_web_sessions_live_in_the_database_until_signed_out_or_run_out(
    services: Services,
) -> None:
    account = create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    first, second = start_session(services, account), start_session(services, account)
    assert first != second
    assert session_account(services, first) == session_account(services, second) == account
    with services.db.session() as session:
        stored = set(session.scalars(select(WebSession.digest)))
    assert first not in stored
    assert len(stored) == 2  # the ids' hashes only
    assert other_sessions(services, first) == 1
    elsewhere = create_user(services, OPERATOR, "sam", Role.PATIENT, password=PASSWORD)
    theirs = start_session(services, elsewhere)
    assert end_other_sessions(services, theirs) == 0  # nobody else's sessions are touched
    end_session(services, first)
    assert session_account(services, first) is None  # any copy of its cookie is dead too
    end_session(services, first)  # signing out twice is signing out once
    logouts = [e for e in audit_entries(services, OPERATOR) if e.action is Action.LOGOUT]
    assert [e.actor for e in logouts] == [f"user:{account.id}"]
    assert session_account(services, second) == account  # the other browser stays signed in
    third = start_session(services, account)
    assert end_other_sessions(services, third) == 1  # "sign out everywhere else"
    assert session_account(services, second) is None
    assert session_account(services, third) == account
    assert other_sessions(services, third) == 0
    second = third
    assert session_account(services, "made-up") is None
    now = services.clock()
    services.clock = lambda: now + timedelta(hours=8)
    assert session_account(services, second) is None  # run out
    start_session(services, account)  # clears the sessions that ran out on the way
    with services.db.session() as session:
        assert len(session.scalars(select(WebSession)).all()) == 1


def test_a_password_is_changed_only_with_the_current_one_and_signs_out_elsewhere(
    services: Services,
) -> None:
    account = create_user(services, OPERATOR, "jordan", Role.PATIENT, password=PASSWORD)
    here, there = start_session(services, account), start_session(services, account)
    token = issue_token(services, account.principal, "script").token
    new = "a much better passphrase"
    with pytest.raises(Unauthenticated):
        change_password(services, account.principal, "not my password", new)
    with pytest.raises(InvalidInput, match="differ"):
        change_password(services, account.principal, PASSWORD, PASSWORD)
    with pytest.raises(InvalidInput, match="between"):
        change_password(services, account.principal, PASSWORD, "short")
    assert authenticate(services, "jordan", PASSWORD).id == account.id  # nothing changed yet
    assert change_password(services, account.principal, PASSWORD, new, keep=here) == 1
    assert session_account(services, here) == account
    assert session_account(services, there) is None
    assert authenticate(services, "jordan", new).id == account.id
    with pytest.raises(Unauthenticated):
        authenticate(services, "jordan", PASSWORD)
    assert authenticate_token(services, token).id == account.id  # tokens are not passwords
    changes = [e for e in audit_entries(services, OPERATOR) if e.action is Action.PASSWORD_CHANGE]
    assert [e.outcome for e in changes] == [Outcome.DENIED, Outcome.OK]
    assert all(PASSWORD not in str(e.details) and new not in str(e.details) for e in changes)
    assert change_password(services, account.principal, new, "yet another passphrase") == 1
    # Forgotten: the operator sets one; every browser is signed out.
    again = start_session(services, account)
    assert reset_password(services, OPERATOR, "Jordan", "set by the operator") == 1
    assert session_account(services, again) is None
    assert authenticate(services, "jordan", "set by the operator").id == account.id
    last = [e for e in audit_entries(services, OPERATOR) if e.action is Action.PASSWORD_CHANGE][-1]
    assert (last.actor, last.subject) == ("operator:cli", f"user:{account.id}")
    with pytest.raises(NotFound):
        reset_password(services, OPERATOR, "nobody", "set by the operator")


def test_a_disabled_account_loses_login_tokens_and_decisions(services: Services) -> None:
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR, password=PASSWORD)
    admin = create_user(services, OPERATOR, "admin", Role.ADMIN)
    enrol(services, doctor)  # tokens only for a doctor with a second factor
    issued = issue_token(services, doctor.principal, "laptop")
    signed_in = start_session(services, doctor)
    with pytest.raises(AccessDenied):
        disable_user(services, doctor.principal, admin.id)
    with pytest.raises(InvalidState, match="their own account"):
        disable_user(services, admin.principal, admin.id)  # nobody left to switch it back
    disable_user(services, admin.principal, doctor.id)
    assert session_account(services, signed_in) is None
    with services.db.session() as session:  # ended, not merely refused while disabled
        assert session.scalars(select(WebSession)).all() == []
    with pytest.raises(Unauthenticated):
        authenticate(services, "dr.kim", PASSWORD)
    with pytest.raises(Unauthenticated):
        authenticate_token(services, issued.token)
    assert not principal_of(services, OPERATOR, doctor.id).active
