"""Accounts' queries: users (a patient's accounts among them), API tokens, web sessions,
sign-in failures, password resets.

Secrets arrive here already digested (a token's, a session id's or a link's SHA-256;
a username's or an address's keyed digest for the throttle): no query sees one in clear.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from phr_share.db.accounts import ApiToken, User, WebSession
from phr_share.db.auth import PasswordReset, PendingSignIn, ResetRequest, SignInFailure
from phr_share.models import Role

__all__ = [
    "account_failures",
    "add_failure",
    "address_failures",
    "caregiver_id_named",
    "drop_expired",
    "drop_failures",
    "drop_other_sessions",
    "drop_reset_requests",
    "drop_sessions_of",
    "email_owner",
    "end_sessions_of",
    "holder",
    "live_reset_owner",
    "mail_addresses",
    "named_active_user",
    "other_sessions",
    "patient_account",
    "patient_account_ids",
    "patient_accounts",
    "patient_display_name",
    "patient_time_zone",
    "reset_requests",
    "resets_made",
    "token_by_digest",
    "tokens_of",
    "use_reset",
    "user_id_named",
    "user_matching",
    "users_by_id",
    "users_outside",
    "void_resets_of",
]


# Users.


def user_id_named(session: Session, username: str) -> uuid.UUID | None:
    """The id of the account with this username (as stored, in lower case)."""
    return session.scalar(select(User.id).where(User.username == username))


def caregiver_id_named(session: Session, username: str) -> uuid.UUID | None:
    """The id of the account with this username (as stored) when it is a caregiver's."""
    return session.scalar(
        select(User.id).where(User.username == username, User.role == Role.CAREGIVER.value)
    )


def email_owner(session: Session, address: str) -> uuid.UUID | None:
    """The id of the account this e-mail address (as stored, in lower case) belongs to."""
    return session.scalar(select(User.id).where(User.email == address))


def user_matching(
    session: Session, *, username: str | None = None, user_id: uuid.UUID | None = None
) -> User | None:
    """The account with this username, this id, or both (each one given must match)."""
    query = select(User)
    if username is not None:
        query = query.where(User.username == username)
    if user_id is not None:
        query = query.where(User.id == user_id)
    return session.scalars(query).first()


def users_by_id(session: Session, user_ids: Collection[uuid.UUID]) -> list[User]:
    """The accounts with these ids, in no particular order (unknown ids are left out)."""
    return list(session.scalars(select(User).where(User.id.in_(user_ids))).all())


def mail_addresses(session: Session, user_ids: Collection[uuid.UUID]) -> Sequence[str]:
    """The e-mail addresses of those of these accounts that are active and have one."""
    addresses = session.scalars(
        select(User.email).where(User.id.in_(user_ids), User.active, User.email.is_not(None))
    )
    return [address for address in addresses if address is not None]


def users_outside(session: Session, roles: Collection[str]) -> list[User]:
    """Every account whose role is none of ``roles``, by username."""
    query = select(User).where(User.role.not_in(roles)).order_by(User.username)
    return list(session.scalars(query))


def named_active_user(session: Session, name: str) -> User | None:
    """The active account whose username or e-mail address is ``name`` (both lower case)."""
    query = select(User).where(or_(User.username == name, User.email == name), User.active)
    return session.scalars(query).first()


# A patient's accounts (found by the patient's global id; a patient may have none).


def patient_account_ids(session: Session, patient_id: uuid.UUID) -> Sequence[uuid.UUID]:
    """The ids of every account of the patient with this global id (none: no such patient)."""
    return session.scalars(select(User.id).where(User.patient_id == patient_id)).all()


def patient_accounts(session: Session, patient_id: uuid.UUID) -> list[User]:
    """Every account that signs in as the patient."""
    return list(session.scalars(select(User).where(User.patient_id == patient_id)))


def patient_account(session: Session, patient_id: uuid.UUID) -> User | None:
    """One account of the patient, the one their name is taken from."""
    return session.scalars(select(User).where(User.patient_id == patient_id)).first()


def patient_display_name(session: Session, patient_id: uuid.UUID) -> str | None:
    """The display name of the patient's account (None when the patient has none)."""
    return session.scalar(select(User.display_name).where(User.patient_id == patient_id))


def patient_time_zone(session: Session, patient_id: uuid.UUID) -> str | None:
    """The time zone the patient's account chose (None when none, or no account)."""
    return session.scalar(select(User.time_zone).where(User.patient_id == patient_id))


# API tokens.


def token_by_digest(session: Session, digest: str) -> ApiToken | None:
    """The API token with this SHA-256, live or not."""
    return session.scalars(select(ApiToken).where(ApiToken.digest == digest)).first()


def tokens_of(session: Session, user_id: uuid.UUID) -> list[ApiToken]:
    """Every API token of the account, revoked and expired ones too, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


# Web sessions, and pending sign-ins where a query serves both (a holder of a secret id).


def drop_expired(
    session: Session, kind: type[WebSession] | type[PendingSignIn], now: datetime
) -> None:
    """Delete the rows of ``kind`` that have run out by ``now``."""
    session.execute(delete(kind).where(kind.expires_at <= now))


def holder(
    session: Session, kind: type[WebSession] | type[PendingSignIn], digest: str, now: datetime
) -> User | None:
    """The account of the live row of ``kind`` with this digest, active or not."""
    query = (
        select(User)
        .join(kind, kind.user_id == User.id)
        .where(kind.digest == digest, kind.expires_at > now)
    )
    return session.scalars(query).first()


def _drop_sessions(session: Session, which: ColumnElement[bool]) -> int:
    """Delete the web sessions ``which`` selects; how many there were."""
    digests = list(session.scalars(select(WebSession.digest).where(which)))
    if digests:
        session.execute(delete(WebSession).where(WebSession.digest.in_(digests)))
    return len(digests)


def drop_sessions_of(session: Session, user_id: uuid.UUID, *, keep: str | None = None) -> int:
    """Delete the account's web sessions but the one whose digest is ``keep``; how many."""
    theirs = WebSession.user_id == user_id
    if keep is not None:
        theirs = theirs & (WebSession.digest != keep)
    return _drop_sessions(session, theirs)


def end_sessions_of(session: Session, user_id: uuid.UUID) -> None:
    """Delete every web session of the account, in one statement (nothing is counted)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def _others(digest: str) -> ColumnElement[bool]:
    """The sessions of this session's account, this one left out (a query filter)."""
    mine = select(WebSession.user_id).where(WebSession.digest == digest).scalar_subquery()
    return (WebSession.user_id == mine) & (WebSession.digest != digest)


def other_sessions(session: Session, digest: str, now: datetime) -> int:
    """How many live sessions the account of this session has besides it."""
    query = select(func.count()).where(_others(digest), WebSession.expires_at > now)
    return session.scalar(query) or 0


def drop_other_sessions(session: Session, digest: str) -> int:
    """Delete every other session of this session's account, run out or not; how many."""
    return _drop_sessions(session, _others(digest))


# Sign-in failures (the throttle's rows).


def add_failure(
    session: Session, at: datetime, account: str, address: str, *, code: bool, since: datetime
) -> None:
    """Count one failure; failures from before ``since`` (out of every window) are dropped."""
    session.execute(delete(SignInFailure).where(SignInFailure.at < since))
    session.add(SignInFailure(at=at, account=account, address=address, second_factor=code))


def account_failures(
    session: Session, account: str, since: datetime
) -> list[tuple[datetime, str, bool]]:
    """The account's failures since then: (when, address digest, a wrong code or not)."""
    query = select(SignInFailure.at, SignInFailure.address, SignInFailure.second_factor).where(
        SignInFailure.account == account, SignInFailure.at >= since
    )
    return [(at, address, code) for at, address, code in session.execute(query)]


def address_failures(session: Session, address: str, since: datetime) -> list[datetime]:
    """When the address failed since then, for any account."""
    query = select(SignInFailure.at).where(
        SignInFailure.address == address, SignInFailure.at >= since
    )
    return list(session.scalars(query))


def drop_failures(session: Session, account: str, address: str) -> None:
    """Forget the account's failures from this address (it has just signed in from there)."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.account == account, SignInFailure.address == address
        )
    )


# Password resets: the requests (per address) and the links (per account).


def drop_reset_requests(session: Session, before: datetime) -> None:
    """Forget the reset requests made before then (out of the throttle's window)."""
    session.execute(delete(ResetRequest).where(ResetRequest.at < before))


def reset_requests(session: Session, address: str, since: datetime) -> list[datetime]:
    """When reset links were asked for from this address (a keyed digest) since then."""
    query = select(ResetRequest.at).where(ResetRequest.address == address, ResetRequest.at >= since)
    return list(session.scalars(query))


def resets_made(session: Session, user_id: uuid.UUID, since: datetime) -> list[datetime]:
    """When reset links were made for the account since then, used or not."""
    query = select(PasswordReset.created_at).where(
        PasswordReset.user_id == user_id, PasswordReset.created_at >= since
    )
    return list(session.scalars(query))


def live_reset_owner(session: Session, digest: str, now: datetime) -> uuid.UUID | None:
    """The account of the unused, unexpired link with this digest, when that is active."""
    query = (
        select(PasswordReset.user_id)
        .join(User, User.id == PasswordReset.user_id)
        .where(
            PasswordReset.digest == digest,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
            User.active,
        )
    )
    return session.scalar(query)


def use_reset(session: Session, digest: str, now: datetime) -> uuid.UUID | None:
    """Use up the live link with this digest: its account, or None when it was not live.

    One conditional UPDATE, so two requests with the same link cannot both use it.
    """
    return session.scalar(
        update(PasswordReset)
        .where(
            PasswordReset.digest == digest,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordReset.user_id)
    )


def void_resets_of(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Mark every unused link of the account used (at ``now``)."""
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
