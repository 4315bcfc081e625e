"""The sign-in throttle over the database (rules in :mod:`phr_share.consent.throttle`).

Failures are rows in the index database, so every web process, and the same one after a
restart, counts the same ones. Usernames and addresses are stored only as digests keyed
by the second-factor secret.
"""

from __future__ import annotations

from phr_share.consent.throttle import Failure, Limit, ThrottlePolicy, in_words, wait_for
from phr_share.crypto import derive_key, keyed_digest
from phr_share.db.queries import accounts as account_rows
from phr_share.errors import TooManyAttempts
from phr_share.sharing.services import Services

__all__ = ["LOCAL", "POLICY", "check", "failed", "signed_in"]

POLICY = ThrottlePolicy()
# The address of a try made at the server itself (the ``phr-share`` command).
LOCAL = "local"
_LABEL = b"phr-share/throttle/1"
_MESSAGES = {
    Limit.ACCOUNT_HERE: "Too many wrong passwords for this account. Try again in {when}.",
    Limit.ADDRESS: "Too many failed sign-ins from this network. Try again in {when}.",
    Limit.CODES: "Too many wrong codes for this account. Try again in {when}.",
}


def _keys(svc: Services, username: str, address: str) -> tuple[str, str]:
    key = derive_key(svc.mfa_secret(), _LABEL)
    account = keyed_digest(key, "account:" + username.strip().lower())
    return account, keyed_digest(key, "address:" + address)


def check(svc: Services, username: str, address: str, *, code: bool = False) -> None:
    """Let a try (a second-factor code when ``code``) be checked now, or raise
    TooManyAttempts saying how long to wait."""
    account, here = _keys(svc, username, address)
    now = svc.clock()
    since = now - POLICY.window
    with svc.db.session() as session:
        mine = account_rows.account_failures(session, account, since)
        theirs = account_rows.address_failures(session, here, since)
    failures = [Failure(at, where == here, wrong_code) for at, where, wrong_code in mine]
    wait = wait_for(POLICY, now, failures, theirs, code=code)
    if wait is not None:
        message = _MESSAGES[wait.limit].format(when=in_words(wait.seconds))
        raise TooManyAttempts(message, wait.seconds)


def failed(svc: Services, username: str, address: str, *, code: bool = False) -> None:
    """Count a wrong password (a wrong code when ``code``)."""
    account, here = _keys(svc, username, address)
    now = svc.clock()
    with svc.db.session() as session:
        account_rows.add_failure(session, now, account, here, code=code, since=now - POLICY.window)


def signed_in(svc: Services, username: str, address: str) -> None:
    """Forget the account's failures from this address: it has just signed in from there."""
    account, here = _keys(svc, username, address)
    with svc.db.session() as session:
        account_rows.drop_failures(session, account, here)
