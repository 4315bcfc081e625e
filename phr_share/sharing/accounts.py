"""Accounts: creating users, logging in with a password, web sessions, API tokens, disabling.

A caller proves who it is here and gets a :class:`Principal`; everything else takes
that principal. Failures are one :class:`Unauthenticated` error, whatever went wrong.
Password guesses are throttled (:mod:`phr_share.sharing.throttle`); an account with a
second factor is signed in only once its code is checked (:mod:`phr_share.sharing.mfa`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from phr_share.audit import Action, Outcome
from phr_share.choices import time_zone
from phr_share.consent import CARERS, Principal, Role
from phr_share.crypto import check_password, hash_password, mint_token, token_digest
from phr_share.db import ApiToken, Patient, PendingSignIn, Session, User, WebSession
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import auth as auth_rows
from phr_share.errors import (
    AccessDenied,
    AccountClosed,
    InvalidInput,
    InvalidState,
    NotFound,
    Unauthenticated,
)
from phr_share.models import ACCOUNT_ROLES, Reason, user_id_text
from phr_share.sharing import throttle
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import STEWARDS, require_role, require_steward
from phr_share.sharing.keys import ensure_patient
from phr_share.sharing.services import Services

__all__ = [
    "Account",
    "IssuedToken",
    "TokenInfo",
    "authenticate",
    "authenticate_token",
    "change_password",
    "create_user",
    "disable_user",
    "display_names",
    "end_other_sessions",
    "end_session",
    "find_account",
    "issue_token",
    "other_sessions",
    "principal_of",
    "reset_password",
    "revoke_token",
    "session_account",
    "set_email",
    "set_time_zone",
    "sign_up",
    "staff_accounts",
    "start_session",
    "tokens_of",
]

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
# The same rule as an HTML ``pattern`` (compiled by browsers with the ``v`` flag, where a
# dash in a class must be escaped).
USERNAME_PATTERN = r"[a-z0-9][a-z0-9._@\-]{2,63}"
# An address as people type it: something, @, a domain with a dot; at most 254 characters.
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]+")
TOKEN_TTL = timedelta(days=90)
MAX_TOKEN_TTL = timedelta(days=366)
SESSION_TTL = timedelta(hours=8)
# Who creates a patient's own account from the sign-up page (no one is signed in yet).
SIGNUP = "web:signup"


@dataclass(frozen=True, slots=True)
class Account:
    """A user as the rest of the system sees it (no secrets)."""

    id: uuid.UUID
    username: str
    role: Role
    display_name: str
    patient_id: uuid.UUID | None
    active: bool
    # A confirmed second factor; and whether the account's role must have one.
    mfa: bool = False
    mfa_required: bool = False
    # The IANA zone the account's times are shown in (None: not known yet, so UTC).
    time_zone: str | None = None
    # Where notices and reset links are mailed (None: nowhere).
    email: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The zone of every time this account is shown."""
        return ZoneInfo(self.time_zone or "UTC")

    @property
    def principal(self) -> Principal:
        """The account as the decision point sees it."""
        return Principal.of_user(self.id, self.role, self.patient_id, self.active)

    @property
    def needs_mfa_setup(self) -> bool:
        """True while a second factor is required and missing: only its set-up is open."""
        return self.mfa_required and not self.mfa


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as its owner sees it later: never the token itself."""

    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly minted API token: ``token`` is shown once and never stored."""

    id: int
    token: str
    expires_at: datetime


def _accounts(svc: Services, session: Session, rows: list[User]) -> list[Account]:
    enrolled = auth_rows.enrolled_users(session, [row.id for row in rows])
    required = svc.settings.require_mfa_roles
    return [
        Account(
            row.id,
            row.username,
            Role(row.role),
            row.display_name,
            row.patient_id,
            row.active,
            mfa=row.id in enrolled,
            mfa_required=Role(row.role) in required,
            time_zone=row.time_zone,
            email=row.email,
        )
        for row in rows
    ]


def _account(svc: Services, session: Session, row: User) -> Account:
    return _accounts(svc, session, [row])[0]


def user_id_of(principal: Principal) -> uuid.UUID:
    """The account id behind a ``user:<uuid>`` principal; raises Unauthenticated otherwise."""
    user_id = principal.user_id
    if user_id is None:
        raise Unauthenticated()
    return user_id


def create_user(
    svc: Services,
    creator: Principal,
    username: str,
    role: Role,
    *,
    display_name: str = "",
    password: str | None = None,
    patient_id: uuid.UUID | None = None,
    email: str = "",
) -> Account:
    """A new account, made by an admin or the operator; a patient account gets its opaque
    patient id (given or random).

    Without a password the account can use API tokens but cannot log in. Raises
    AccessDenied for anyone else, InvalidInput for a bad username, password or e-mail
    address, InvalidState for a taken username or address.
    """
    require_steward(creator)
    made = _Made(username, role, display_name, password, patient_id, email)
    return _create(svc, creator.id, made)


# Who may make their own account: the rest are made by an administrator.
SELF_SIGN_UP = frozenset({Role.PATIENT, Role.CAREGIVER})


def sign_up(
    svc: Services,
    username: str,
    password: str,
    *,
    display_name: str = "",
    email: str = "",
    role: Role = Role.PATIENT,
) -> Account:
    """A patient's (or a caregiver's) own new account, made from the sign-up page (no
    one signed in acts); raises as :func:`create_user` does."""
    if role not in SELF_SIGN_UP:
        raise InvalidInput("only patients and caregivers sign themselves up")
    return _create(svc, SIGNUP, _Made(username, role, display_name, password, None, email))


@dataclass(frozen=True, slots=True)
class _Made:
    """What a new account is made of."""

    username: str
    role: Role
    display_name: str
    password: str | None
    patient_id: uuid.UUID | None
    email: str


def email_form(text: str) -> str | None:
    """An e-mail address as stored (trimmed, lower case), None for none; InvalidInput
    for something that is not an address."""
    address = text.strip().lower()
    if not address:
        return None
    if len(address) > 254 or not EMAIL.fullmatch(address):
        raise InvalidInput("that is not an e-mail address (it looks like name@example.org)")
    return address


def _email_taken(session: Session, address: str | None, user_id: uuid.UUID | None) -> bool:
    if address is None:
        return False
    owner = account_rows.email_owner(session, address)
    return owner is not None and owner != user_id


def _create(svc: Services, actor: str, made: _Made) -> Account:
    username, role, patient_id = made.username.strip().lower(), made.role, made.patient_id
    if not USERNAME.fullmatch(username):
        raise InvalidInput("a username is 3-64 characters: a-z, 0-9, dot, @, dash, underscore")
    if role not in ACCOUNT_ROLES:
        raise InvalidInput("that role is not for accounts")
    if patient_id is not None and role is not Role.PATIENT:
        raise InvalidInput("only a patient account has a patient id")
    email = email_form(made.email)
    password = made.password
    hashed = None if password is None else hash_password(password, svc.randbytes, svc.password_cost)
    with svc.db.session() as session:
        if account_rows.user_id_named(session, username) is not None:
            raise InvalidState("that username is taken")
        if _email_taken(session, email, None):
            raise InvalidState("that e-mail address belongs to another account")
        if role is Role.PATIENT:
            patient_id = patient_id or svc.new_uuid()
            ensure_patient(svc, session, patient_id)
        row = User(
            id=svc.new_uuid(),
            username=username,
            role=role.value,
            display_name=made.display_name or username,
            password_hash=hashed,
            patient_id=patient_id,
            active=True,
            created_at=svc.clock(),
            email=email,
        )
        session.add(row)
        session.flush()
        audit(
            svc,
            session,
            Action.USER_CREATE,
            actor,
            patient_id=patient_id,
            subject=user_id_text(row.id),
            details={"role": role.value},
        )
        return _account(svc, session, row)


def find_account(
    svc: Services,
    principal: Principal,
    *,
    username: str | None = None,
    user_id: uuid.UUID | None = None,
) -> Account:
    """The account with this username or id, as ``principal`` may know of it: an admin or
    the operator any account, anyone else their own and clinicians' and caregivers'
    (whom patients invite and clinicians ask in). Raises NotFound otherwise, so a
    patient cannot look another patient up, AccessDenied for a disabled principal.
    """
    if username is None and user_id is None:
        raise ValueError("find_account needs a username or an id")
    if not principal.active:
        raise AccessDenied(Reason.ACCOUNT_DISABLED)
    wanted = None if username is None else username.strip().lower()
    with svc.db.session() as session:
        row = account_rows.user_matching(session, username=wanted, user_id=user_id)
        if row is None or not _may_know(principal, row):
            raise NotFound("no such account")
        return _account(svc, session, row)


def _may_know(principal: Principal, row: User) -> bool:
    return principal.role in STEWARDS or principal.user_id == row.id or Role(row.role) in CARERS


def display_names(
    svc: Services, principal: Principal, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The display names of these accounts, looked up in one query and as
    :func:`find_account` lets ``principal`` know of them (a patient: clinicians' and
    caregivers'). Raises NotFound if any is not one it may know of, AccessDenied for a
    disabled principal."""
    if not principal.active:
        raise AccessDenied(Reason.ACCOUNT_DISABLED)
    wanted = set(user_ids)
    if not wanted:
        return {}
    with svc.db.session() as session:
        rows = account_rows.users_by_id(session, wanted)
        names = {row.id: row.display_name for row in rows if _may_know(principal, row)}
    if set(names) != wanted:
        raise NotFound("no such account")
    return names


def principal_of(svc: Services, principal: Principal, user_id: uuid.UUID) -> Principal:
    """The current principal of an account (its active flag as of now), looked up as
    :func:`find_account` does."""
    return find_account(svc, principal, user_id=user_id).principal


def change_password(
    svc: Services,
    principal: Principal,
    current: str,
    new: str,
    *,
    keep: str | None = None,
    address: str = throttle.LOCAL,
) -> int:
    """Change one's own password, the current one checked first; every web session of
    the account but ``keep`` (the one asking) is signed out. How many were signed out.

    Raises Unauthenticated for a wrong current password (counted like a failed login from
    ``address``), TooManyAttempts while guesses from there are held back, InvalidInput
    for a new one that is too short or too long, or the same as before.
    """
    user_id = user_id_of(principal)
    with svc.db.session() as session:
        row = session.get(User, user_id)
        stored = row.password_hash if row is not None else None
    username = row.username if row is not None and row.active else None
    if username is not None:
        throttle.check(svc, username, address)
    if username is None or not check_password(current, stored or _decoy(svc)):
        if username is not None:
            throttle.failed(svc, username, address)
        with svc.db.session() as session:
            audit(svc, session, Action.PASSWORD_CHANGE, principal.id, outcome=Outcome.DENIED)
        raise Unauthenticated()
    if new == current:
        raise InvalidInput("the new password must differ from the current one")
    return _set_password(svc, user_id, new, principal.id, keep)


def set_time_zone(svc: Services, principal: Principal, zone: str) -> None:
    """Show one's own times in ``zone`` (an IANA name); InvalidInput for another name,
    Unauthenticated for a principal that is no account."""
    name = time_zone(zone).key
    with svc.db.session() as session:
        row = session.get(User, user_id_of(principal))
        if row is None:
            raise Unauthenticated()
        row.time_zone = name


def set_email(svc: Services, principal: Principal, address: str) -> Account:
    """Set (or, with an empty ``address``, remove) one's own e-mail address; audited
    without it. Raises InvalidInput for something that is not an address, InvalidState
    for one another account has, Unauthenticated for a principal that is no account."""
    email = email_form(address)
    with svc.db.session() as session:
        row = session.get(User, user_id_of(principal))
        if row is None:
            raise Unauthenticated()
        if _email_taken(session, email, row.id):
            raise InvalidState("that e-mail address belongs to another account")
        row.email = email
        details = {"email": "set" if email else "removed"}
        audit(
            svc,
            session,
            Action.EMAIL_CHANGE,
            principal.id,
            subject=user_id_text(row.id),
            details=details,
        )
        return _account(svc, session, row)


def reset_password(svc: Services, steward: Principal, username: str, new: str) -> int:
    """An admin or the operator sets an account's password (it was forgotten); every web
    session of the account is signed out. How many were. Raises AccessDenied, NotFound,
    InvalidInput."""
    require_steward(steward)
    account = find_account(svc, steward, username=username)
    return _set_password(svc, account.id, new, steward.id, None)


def _set_password(svc: Services, user_id: uuid.UUID, new: str, actor: str, keep: str | None) -> int:
    hashed = hash_password(new, svc.randbytes, svc.password_cost)
    with svc.db.session() as session:
        found = session.get(User, user_id)
        assert found is not None
        found.password_hash = hashed
        ended = drop_account_sessions(session, user_id, keep)
        audit(
            svc,
            session,
            Action.PASSWORD_CHANGE,
            actor,
            subject=user_id_text(user_id),
            details={"sessions": ended},
        )
        return ended


def drop_account_sessions(session: Session, user_id: uuid.UUID, keep: str | None) -> int:
    """Delete the account's web sessions but ``keep`` (a session id); how many there were."""
    kept = None if keep is None else token_digest(keep)
    return account_rows.drop_sessions_of(session, user_id, keep=kept)


def authenticate(
    svc: Services, username: str, password: str, *, address: str = throttle.LOCAL
) -> Account:
    """The account, when the password matches and it is active; else Unauthenticated.

    Guesses are counted per account and per ``address`` (the client's): TooManyAttempts,
    with the wait, while they are held back. An account with ``mfa`` is not signed in
    yet: its code comes next (:func:`phr_share.sharing.mfa.start_second_step`).
    """
    username = username.strip().lower()
    throttle.check(svc, username, address)
    with svc.db.session() as session:
        row = account_rows.user_matching(session, username=username)
        stored = row.password_hash if row is not None else None
    # Hash even for an unknown account, so timing does not tell which ones exist.
    matched = check_password(password, stored or _decoy(svc))
    ok = row is not None and stored is not None and matched and row.active
    with svc.db.session() as session:
        audit(
            svc,
            session,
            Action.LOGIN,
            user_id_text(row.id) if row is not None else "anonymous",
            outcome=Outcome.OK if ok else Outcome.DENIED,
        )
    if not ok or row is None:
        throttle.failed(svc, username, address)
        if row is not None and stored is not None and matched and _erased(svc, row):
            raise AccountClosed()
        raise Unauthenticated()
    with svc.db.session() as session:
        account = _account(svc, session, row)
    if not account.mfa:
        throttle.signed_in(svc, username, address)
    return account


def _erased(svc: Services, row: User) -> bool:
    if row.patient_id is None:
        return False
    with svc.db.session() as session:
        patient = session.get(Patient, row.patient_id)
        return patient is not None and patient.erased_at is not None


_DECOYS: dict[tuple[int, int, int], str] = {}


def _decoy(svc: Services) -> str:
    cost = svc.password_cost
    key = (cost.log_n, cost.r, cost.p)
    if key not in _DECOYS:
        _DECOYS[key] = hash_password("decoy-password-never-used", svc.randbytes, cost)
    return _DECOYS[key]


def issue_token(
    svc: Services, principal: Principal, name: str, *, ttl: timedelta = TOKEN_TTL
) -> IssuedToken:
    """A new API token for the principal's own account; the token is returned only here.

    Raises InvalidInput for a bad name or lifetime, AccessDenied (mfa-required) for an
    account whose role must have a second factor and has none yet.
    """
    if not name.strip() or len(name) > 64:
        raise InvalidInput("a token needs a name of at most 64 characters")
    if ttl <= timedelta(0) or ttl > MAX_TOKEN_TTL:
        raise InvalidInput("a token lives between a moment and a year")
    user_id = user_id_of(principal)
    token = mint_token(svc.randbytes)
    now = svc.clock()
    with svc.db.session() as session:
        if principal.role in svc.settings.require_mfa_roles and not auth_rows.enrolled_users(
            session, [user_id]
        ):
            raise AccessDenied(
                Reason.MFA_REQUIRED, "set up two-step sign-in before issuing API tokens"
            )
        row = ApiToken(
            user_id=user_id,
            name=name.strip(),
            digest=token_digest(token),
            created_at=now,
            expires_at=now + ttl,
        )
        session.add(row)
        session.flush()
        audit(svc, session, Action.TOKEN_ISSUE, principal.id, subject=f"token:{row.id}")
        return IssuedToken(row.id, token, row.expires_at)


def authenticate_token(svc: Services, token: str) -> Account:
    """The account behind a live API token; Unauthenticated when unknown, expired or revoked."""
    now = svc.clock()
    with svc.db.session() as session:
        row = account_rows.token_by_digest(session, token_digest(token))
        if row is None or row.revoked_at is not None or now >= row.expires_at:
            raise Unauthenticated()
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            raise Unauthenticated()
        row.last_used_at = now
        return _account(svc, session, user)


def tokens_of(svc: Services, principal: Principal) -> list[TokenInfo]:
    """The principal's own tokens, newest first."""
    with svc.db.session() as session:
        rows = account_rows.tokens_of(session, user_id_of(principal))
        return [
            TokenInfo(r.id, r.name, r.created_at, r.expires_at, r.revoked_at, r.last_used_at)
            for r in rows
        ]


def revoke_token(svc: Services, principal: Principal, token_id: int) -> None:
    """Revoke a token: one of the principal's own, or anyone's for an admin; idempotent.

    Raises NotFound for no such token, AccessDenied (not-owner) for someone else's.
    """
    with svc.db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound("no such token")
        if not principal.active:
            raise AccessDenied(Reason.ACCOUNT_DISABLED)
        if principal.role is not Role.ADMIN and row.user_id != principal.user_id:
            raise AccessDenied(Reason.NOT_OWNER)
        if row.revoked_at is None:
            row.revoked_at = svc.clock()
            audit(svc, session, Action.TOKEN_REVOKE, principal.id, subject=f"token:{row.id}")


def start_session(svc: Services, account: Account, *, ttl: timedelta = SESSION_TTL) -> str:
    """A new web session for a signed-in account: its id, for the cookie, returned only here.

    Only the id's SHA-256 is stored. Sessions that have run out are cleared on the way.
    """
    return new_holder(svc, WebSession, account, ttl)


def new_holder(
    svc: Services, kind: type[WebSession] | type[PendingSignIn], account: Account, ttl: timedelta
) -> str:
    """A new row of ``kind`` for the account, living ``ttl``: its secret id, returned only
    here (the row keeps its SHA-256). Rows of ``kind`` that ran out are cleared."""
    secret = mint_token(svc.randbytes)
    now = svc.clock()
    with svc.db.session() as session:
        account_rows.drop_expired(session, kind, now)
        digest = token_digest(secret)
        session.add(kind(digest=digest, user_id=account.id, created_at=now, expires_at=now + ttl))
    return secret


def session_account(svc: Services, session_id: str) -> Account | None:
    """The active account of a live session; None when it ended, ran out or never was."""
    return holder_of(svc, WebSession, session_id)


def holder_of(
    svc: Services, kind: type[WebSession] | type[PendingSignIn], secret: str
) -> Account | None:
    """The active account of a live row (a session, a pending sign-in) named by ``secret``."""
    digest, now = token_digest(secret), svc.clock()
    with svc.db.session() as session:
        row = account_rows.holder(session, kind, digest, now)
        return _account(svc, session, row) if row is not None and row.active else None


def end_session(svc: Services, session_id: str) -> None:
    """Sign a session out: from now on its cookie, or any copy of it, opens nothing."""
    with svc.db.session() as session:
        row = session.get(WebSession, token_digest(session_id))
        if row is not None:
            session.delete(row)
            audit(svc, session, Action.LOGOUT, user_id_text(row.user_id))


def other_sessions(svc: Services, session_id: str) -> int:
    """How many other browsers the account of this session is signed in on."""
    digest, now = token_digest(session_id), svc.clock()
    with svc.db.session() as session:
        return account_rows.other_sessions(session, digest, now)


def end_other_sessions(svc: Services, session_id: str) -> int:
    """Sign this session's account out of every other browser; how many were signed out."""
    digest = token_digest(session_id)
    with svc.db.session() as session:
        mine = session.get(WebSession, digest)
        if mine is None:
            return 0
        ended = account_rows.drop_other_sessions(session, digest)
        if ended:
            audit(
                svc,
                session,
                Action.LOGOUT,
                user_id_text(mine.user_id),
                subject="sessions:others",
                details={"sessions": ended},
            )
        return ended


def disable_user(svc: Services, admin: Principal, user_id: uuid.UUID) -> None:
    """Switch an account off: no login, no token, no session, every decision denied.
    Admins only: raises AccessDenied for anyone else."""
    require_role(admin, Role.ADMIN)
    if admin.user_id == user_id:
        raise InvalidState("an administrator cannot disable their own account")
    with svc.db.session() as session:
        row = session.get(User, user_id)
        if row is None:
            raise NotFound("no such account")
        row.active = False
        account_rows.end_sessions_of(session, user_id)
        audit(svc, session, Action.USER_DISABLE, admin.id, subject=user_id_text(row.id))


def staff_accounts(svc: Services, admin: Principal) -> list[Account]:
    """Every account but patients' and caregivers' (clinicians, researchers, admins), by
    username. Admins only: raises AccessDenied for anyone else."""
    require_role(admin, Role.ADMIN)
    people = [role.value for role in SELF_SIGN_UP]
    with svc.db.session() as session:
        return _accounts(svc, session, account_rows.users_outside(session, people))
