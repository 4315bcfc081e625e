"""Second factors: TOTP set-up, recovery codes, signing in with a code, and resets.

An account sets up TOTP by scanning a secret (sealed at rest under a subkey of the MFA
secret, bound to the account id) and typing a code from it; it then gets ten one-time
recovery codes, shown once and stored as keyed digests. Signing in to such an account
takes two steps: the password starts a pending sign-in (5 minutes, its id's digest
stored), and only a right code for it starts the session. Codes are throttled with the
passwords (:mod:`phr_share.sharing.throttle`) and every use or failure is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from phr_share.audit import Action, Outcome
from phr_share.consent import Principal
from phr_share.consent.totp import matching_step, new_totp_secret, provisioning_uri
from phr_share.crypto import (
    derive_key,
    keyed_digest,
    mint_recovery_codes,
    open_secret,
    recovery_code_form,
    seal_secret,
    token_digest,
)
from phr_share.db import MfaFactor, PendingSignIn, RecoveryCode, Session, User
from phr_share.db.queries import auth as auth_rows
from phr_share.errors import InvalidState, NotFound, Unauthenticated
from phr_share.models import ACCOUNT_ROLES, user_id_text
from phr_share.sharing import throttle
from phr_share.sharing.accounts import (
    Account,
    drop_account_sessions,
    holder_of,
    new_holder,
    user_id_of,
)
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_role, require_steward
from phr_share.sharing.notices import notify
from phr_share.sharing.services import Services

__all__ = [
    "PENDING_TTL",
    "Enrolment",
    "MfaStatus",
    "confirm_enrolment",
    "finish_second_step",
    "mfa_status",
    "new_recovery_codes",
    "pending_sign_in",
    "remove_mfa",
    "reset_mfa",
    "start_enrolment",
    "start_second_step",
]

PENDING_TTL = timedelta(minutes=5)
_SEAL = b"phr-share/totp-seal/1"
_RECOVERY = b"phr-share/recovery/1"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A second factor being set up: its secret (base32) and the address a QR code shows."""

    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class MfaStatus:
    """Whether an account has a second factor, must have one, and recovery codes left."""

    enrolled: bool
    required: bool
    recovery_left: int
    enrolled_at: datetime | None


def _factor(session: Session, user_id: uuid.UUID) -> MfaFactor | None:
    return session.get(MfaFactor, user_id)


def _seal_key(svc: Services) -> bytes:
    return derive_key(svc.mfa_secret(), _SEAL)


def _secret_of(svc: Services, factor: MfaFactor) -> str:
    sealed = open_secret(factor.sealed_secret, _seal_key(svc), factor.user_id.bytes)
    return sealed.decode("ascii")


def _recovery_digest(svc: Services, user_id: uuid.UUID, code: str) -> str:
    return keyed_digest(derive_key(svc.mfa_secret(), _RECOVERY), f"{user_id}:{code}")


def _active_user(session: Session, principal: Principal) -> User:
    """The principal's own account row; AccessDenied for no account's principal or a
    disabled one, Unauthenticated when the account is gone."""
    require_role(principal, *ACCOUNT_ROLES)
    row = session.get(User, user_id_of(principal))
    if row is None or not row.active:
        raise Unauthenticated()
    return row


def mfa_status(svc: Services, principal: Principal) -> MfaStatus:
    """The principal's own second factor, as its Account page shows it; Unauthenticated."""
    with svc.db.session() as session:
        row = _active_user(session, principal)
        factor = _factor(session, row.id)
        left = auth_rows.recovery_codes_left(session, row.id)
        enrolled_at = factor.confirmed_at if factor is not None else None
        required = principal.role in svc.settings.require_mfa_roles
        return MfaStatus(enrolled_at is not None, required, left, enrolled_at)


def start_enrolment(svc: Services, principal: Principal) -> Enrolment:
    """The secret to set up (the one already waiting, else a new one); raises
    InvalidState when a second factor is already set up, Unauthenticated."""
    with svc.db.session() as session:
        row = _active_user(session, principal)
        factor = _factor(session, row.id)
        if factor is not None and factor.confirmed_at is not None:
            raise InvalidState("two-step sign-in is already set up")
        if factor is None:
            secret = new_totp_secret(svc.randbytes)
            sealed = seal_secret(
                secret.encode("ascii"), _seal_key(svc), row.id.bytes, svc.randbytes
            )
            now = svc.clock()
            session.add(
                MfaFactor(user_id=row.id, sealed_secret=sealed, created_at=now, last_step=0)
            )
        else:
            secret = _secret_of(svc, factor)
        return Enrolment(secret, provisioning_uri(secret, row.username))


def _new_codes(svc: Services, session: Session, user_id: uuid.UUID) -> list[str]:
    """Ten fresh recovery codes for the account, replacing any it had."""
    auth_rows.drop_recovery_codes_of(session, user_id)
    codes = mint_recovery_codes(svc.randbytes)
    for code in codes:
        session.add(RecoveryCode(user_id=user_id, digest=_recovery_digest(svc, user_id, code)))
    return codes


def _totp_matches(svc: Services, session: Session, factor: MfaFactor, code: str) -> bool:
    """True when ``code`` is the TOTP of a step near now not used before (now used)."""
    step = matching_step(_secret_of(svc, factor), code, svc.clock())
    return step is not None and auth_rows.claim_step(session, factor.user_id, step)


def _check_code(svc: Services, session: Session, user_id: uuid.UUID, code: str) -> Action | None:
    """Check a TOTP or recovery code of an enrolled account: the action to audit when it
    is right (MFA_VERIFY, or MFA_RECOVERY_USED for a recovery code now used up)."""
    factor = _factor(session, user_id)
    if factor is None or factor.confirmed_at is None:
        return None
    if _totp_matches(svc, session, factor, code):
        return Action.MFA_VERIFY
    recovery = recovery_code_form(code)
    if recovery is not None and auth_rows.claim_recovery_code(
        session, user_id, _recovery_digest(svc, user_id, recovery), svc.clock()
    ):
        return Action.MFA_RECOVERY_USED
    return None


def _prove(svc: Services, user: User, code: str, address: str, *, enrolling: bool = False) -> None:
    """Check a code for ``user`` within the throttle; raises TooManyAttempts, and
    Unauthenticated (counted and audited as ``auth:mfa:fail``) for a wrong one."""
    throttle.check(svc, user.username, address, code=True)
    with svc.db.session() as session:
        if enrolling:  # the code of the secret being set up, never a recovery code
            factor = _factor(session, user.id)
            right = factor is not None and _totp_matches(svc, session, factor, code)
        else:
            action = _check_code(svc, session, user.id, code)
            right = action is not None
            if action is not None:
                audit(svc, session, action, user_id_text(user.id))
    if not right:
        throttle.failed(svc, user.username, address, code=True)
        with svc.db.session() as session:
            audit(svc, session, Action.MFA_FAIL, user_id_text(user.id), outcome=Outcome.DENIED)
        raise Unauthenticated("that code is not right")


def confirm_enrolment(
    svc: Services,
    principal: Principal,
    code: str,
    *,
    keep: str | None = None,
    address: str = throttle.LOCAL,
) -> list[str]:
    """Finish setting up TOTP with a code from it: the ten recovery codes, shown only
    here. Every web session but ``keep`` is signed out. Raises Unauthenticated for a
    wrong code, TooManyAttempts, InvalidState when nothing is being set up."""
    with svc.db.session() as session:
        user = _active_user(session, principal)
        factor = _factor(session, user.id)
        if factor is None or factor.confirmed_at is not None:
            raise InvalidState("no two-step sign-in is being set up")
    _prove(svc, user, code, address, enrolling=True)
    with svc.db.session() as session:
        factor = _factor(session, user.id)
        assert factor is not None
        factor.confirmed_at = svc.clock()
        codes = _new_codes(svc, session, user.id)
        ended = drop_account_sessions(session, user.id, keep)
        audit(svc, session, Action.MFA_ENROL, principal.id, details={"sessions": ended})
    throttle.signed_in(svc, user.username, address)
    return codes


def new_recovery_codes(
    svc: Services, principal: Principal, code: str, *, address: str = throttle.LOCAL
) -> list[str]:
    """Ten new recovery codes for one's own account, the old ones void, for a current
    code; raises Unauthenticated, TooManyAttempts, InvalidState without a second factor."""
    user = _enrolled_user(svc, principal)
    _prove(svc, user, code, address)
    with svc.db.session() as session:
        codes = _new_codes(svc, session, user.id)
        audit(svc, session, Action.MFA_RECOVERY_RENEW, principal.id)
    return codes


def remove_mfa(
    svc: Services,
    principal: Principal,
    code: str,
    *,
    address: str = throttle.LOCAL,
) -> None:
    """Remove one's own second factor, for a current code (to set up a new phone; where
    the role requires one, nothing else opens until it is set up again). Raises
    Unauthenticated, TooManyAttempts, InvalidState without a second factor."""
    user = _enrolled_user(svc, principal)
    _prove(svc, user, code, address)
    with svc.db.session() as session:
        _drop_factor(session, user.id)
        audit(svc, session, Action.MFA_REMOVE, principal.id, subject=user_id_text(user.id))


def _enrolled_user(svc: Services, principal: Principal) -> User:
    with svc.db.session() as session:
        user = _active_user(session, principal)
        factor = _factor(session, user.id)
        if factor is None or factor.confirmed_at is None:
            raise InvalidState("two-step sign-in is not set up")
        return user


def _drop_factor(session: Session, user_id: uuid.UUID) -> None:
    auth_rows.drop_recovery_codes_of(session, user_id)
    auth_rows.drop_factor_of(session, user_id)
    auth_rows.drop_pending_sign_ins_of(session, user_id)


def reset_mfa(svc: Services, steward: Principal, user_id: uuid.UUID) -> int:
    """An admin or the operator removes an account's lost second factor: its sessions end,
    it is notified, and it sets one up again at its next sign-in. How many sessions
    ended. Raises AccessDenied for anyone else, NotFound, InvalidState (nothing to reset)."""
    require_steward(steward)
    with svc.db.session() as session:
        row = session.get(User, user_id)
        if row is None:
            raise NotFound("no such account")
        if _factor(session, user_id) is None:
            raise InvalidState("that account has no second factor to reset")
        _drop_factor(session, user_id)
        ended = drop_account_sessions(session, user_id, None)
        notify(session, [user_id], "mfa-reset", user_id_text(user_id), svc.clock())
        audit(
            svc,
            session,
            Action.MFA_RESET,
            steward.id,
            subject=user_id_text(user_id),
            details={"sessions": ended},
        )
        return ended


def start_second_step(svc: Services, account: Account) -> str:
    """A pending sign-in for an account whose password was just checked: its id, for the
    browser, returned only here; it waits 5 minutes for the code."""
    return new_holder(svc, PendingSignIn, account, PENDING_TTL)


def pending_sign_in(svc: Services, pending_id: str) -> Account | None:
    """The account of a live pending sign-in; None when it was used, ran out or never was."""
    return holder_of(svc, PendingSignIn, pending_id)


def finish_second_step(
    svc: Services, pending_id: str, code: str, *, address: str = throttle.LOCAL
) -> Account:
    """The account, signed in, when ``code`` (TOTP or a recovery code, used up) is right
    for the pending sign-in. Raises Unauthenticated for a wrong code (the sign-in keeps
    waiting) or an unknown or expired sign-in, TooManyAttempts while codes are held back."""
    account = pending_sign_in(svc, pending_id)
    if account is None:
        raise Unauthenticated("the sign-in ran out; enter your password again")
    with svc.db.session() as session:
        user = session.get(User, account.id)
        assert user is not None
    _prove(svc, user, code, address)
    with svc.db.session() as session:
        auth_rows.drop_pending_sign_in(session, token_digest(pending_id))
    throttle.signed_in(svc, account.username, address)
    return account
