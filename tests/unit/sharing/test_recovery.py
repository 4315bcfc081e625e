"""A forgotten password: the same answer for every name, a link by real SMTP that works
once for 30 minutes and is stored only as its digest, throttled and audited."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from phr_share.audit import Action, Outcome
from phr_share.consent import Role
from phr_share.db import AuditEntry, PasswordReset
from phr_share.errors import InvalidInput, InvalidState, TooManyAttempts, Unauthenticated
from phr_share.mail import RESET_SUBJECT
from phr_share.sharing import (
    OPERATOR,
    Account,
    Services,
    authenticate,
    create_user,
    forgot_password,
    reset_link_works,
    session_account,
    set_email,
    start_session,
    use_reset_link,
)
from tests.unit.sharing.conftest import Sink, enrol

PASSWORD = "correct horse battery"
NEW = "a new long passphrase"
LINK = re.compile(r"https://phr\.example\.org/login/reset/([A-Za-z0-9_-]{43})\s")


@pytest.fixture
def kim(services: Services) -> Account:
    return create_user(
        services, OPERATOR, "dr.kim", Role.DOCTOR, password=PASSWORD, email="Kim@Demo.PHR.invalid"
    )


def _token(sink: Sink, index: int = -1) -> str:
    message = sink.messages()[index]
    found = LINK.search(message.get_content())
    assert found is not None, "no reset link in the mail"
    return found.group(1)


def _entries(services: Services, action: Action) -> list[AuditEntry]:
    with services.db.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action.value)
        return list(session.scalars(query.order_by(AuditEntry.seq)))


def test_a_link_is_mailed_stored_as_its_digest_and_works_once(
    services: Services, sink: Sink, kim: Account
) -> None:
    # The address is found whatever its case, as is the username.
    forgot_password(services, "  KIM@demo.phr.invalid ", address="203.0.113.5")
    [message] = sink.messages()
    assert message["Subject"] == RESET_SUBJECT
    assert sink.recipients == [["kim@demo.phr.invalid"]]
    assert "within 30 minutes" in message.get_content()
    token = _token(sink)
    with services.db.session() as session:
        [stored] = session.scalars(select(PasswordReset)).all()
        assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
        assert stored.expires_at - stored.created_at == timedelta(minutes=30)
    assert reset_link_works(services, token)
    signed_in = start_session(services, kim)
    assert use_reset_link(services, token, NEW) == 1
    assert session_account(services, signed_in) is None  # every browser signed out
    assert authenticate(services, "dr.kim", NEW).id == kim.id
    with pytest.raises(Unauthenticated):
        authenticate(services, "dr.kim", PASSWORD)
    assert not reset_link_works(services, token)
    with pytest.raises(InvalidState, match="already used, or it is more than 30 minutes old"):
        use_reset_link(services, token, "yet another passphrase")


def test_a_link_runs_out_after_30_minutes(services: Services, sink: Sink, kim: Account) -> None:
    forgot_password(services, "dr.kim")
    token = _token(sink)
    start = services.clock()
    services.clock = lambda: start + timedelta(minutes=29)
    assert reset_link_works(services, token)
    services.clock = lambda: start + timedelta(minutes=30)
    assert not reset_link_works(services, token)
    with pytest.raises(InvalidState):
        use_reset_link(services, token, NEW)
    assert authenticate(services, "dr.kim", PASSWORD).id == kim.id


def test_using_a_link_voids_the_older_ones_and_a_refused_password_keeps_it(
    services: Services, sink: Sink, kim: Account
) -> None:
    forgot_password(services, "dr.kim")
    forgot_password(services, "kim@demo.phr.invalid")
    older, newer = _token(sink, 0), _token(sink, 1)
    with pytest.raises(InvalidInput):
        use_reset_link(services, newer, "short")
    assert reset_link_works(services, newer)
    use_reset_link(services, newer, NEW)
    assert not reset_link_works(services, older)


def test_the_answer_is_the_same_for_an_unknown_name_and_nothing_is_sent(
    services: Services, sink: Sink, kim: Account
) -> None:
    create_user(services, OPERATOR, "no.mail", Role.PATIENT, password=PASSWORD)
    assert forgot_password(services, "nobody@example.org") is None
    assert forgot_password(services, "no.mail") is None  # an account without an address
    assert sink.messages() == []
    asked = _entries(services, Action.PASSWORD_RESET_REQUEST)
    assert [(e.actor, e.outcome, e.subject) for e in asked] == [
        ("anonymous", Outcome.DENIED.value, None),
        ("anonymous", Outcome.DENIED.value, None),
    ]


def test_requests_are_throttled_per_account_silently_and_per_address_with_a_wait(
    services: Services, sink: Sink, kim: Account
) -> None:
    for _ in range(4):
        forgot_password(services, "dr.kim", address="198.51.100.1")
    assert len(sink.messages()) == 3  # the fourth is answered the same, and not sent
    throttled = _entries(services, Action.PASSWORD_RESET_REQUEST)[-1]
    assert throttled.outcome == Outcome.DENIED.value
    for n in range(6):
        forgot_password(services, f"someone{n}", address="198.51.100.1")
    with pytest.raises(TooManyAttempts, match="Too many requests from this network") as held:
        forgot_password(services, "dr.kim", address="198.51.100.1")
    assert 0 < held.value.retry_after <= 3600
    forgot_password(services, "someone", address="198.51.100.2")  # another address asks on
    later = services.clock() + timedelta(hours=1, seconds=1)
    services.clock = lambda: later
    forgot_password(services, "dr.kim", address="198.51.100.1")
    assert len(sink.messages()) == 4


def test_requests_and_resets_are_audited_without_the_address(
    services: Services, sink: Sink, kim: Account
) -> None:
    forgot_password(services, "kim@demo.phr.invalid", address="203.0.113.9")
    use_reset_link(services, _token(sink), NEW)
    [asked] = _entries(services, Action.PASSWORD_RESET_REQUEST)
    [reset] = _entries(services, Action.PASSWORD_RESET)
    assert asked.subject == f"user:{kim.id}"
    assert (reset.actor, reset.subject) == (f"user:{kim.id}", f"user:{kim.id}")
    with services.db.session() as session:
        every = " ".join(str(e.details) for e in session.scalars(select(AuditEntry)))
    assert "kim@" not in every.lower()
    assert "203.0.113.9" not in every


def test_an_account_with_a_second_factor_still_needs_it_after_a_reset(
    services: Services, sink: Sink, kim: Account
) -> None:
    enrol(services, kim)
    forgot_password(services, "dr.kim")
    use_reset_link(services, _token(sink), NEW)
    assert authenticate(services, "dr.kim", NEW).mfa  # the code is asked next


def test_an_address_belongs_to_one_account_whatever_its_case(
    services: Services, kim: Account
) -> None:
    other = create_user(services, OPERATOR, "jo.ann", Role.PATIENT, password=PASSWORD)
    with pytest.raises(InvalidState, match="belongs to another account"):
        set_email(services, other.principal, "KIM@demo.phr.invalid")
    with pytest.raises(InvalidState):
        create_user(services, OPERATOR, "jo.two", Role.PATIENT, email="kim@demo.phr.invalid")
    with pytest.raises(InvalidInput, match="not an e-mail address"):
        set_email(services, other.principal, "jo at home")
    assert set_email(services, other.principal, " Jo@Example.org ").email == "jo@example.org"
    assert set_email(services, other.principal, "").email is None
    changed = _entries(services, Action.EMAIL_CHANGE)
    assert [json.loads(e.details) for e in changed] == [{"email": "set"}, {"email": "removed"}]
