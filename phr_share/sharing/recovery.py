"""A forgotten password: a link by e-mail, then a new password.

Asking names an account by username or e-mail address; the answer is the same whether
or not one matches, and about as quick (the link is mailed in the background). A link
carries 256 random bits (``secrets.token_urlsafe(32)``); only its SHA-256 is stored. It
works once, for 30 minutes, and using it voids the account's other links, sets the new
password under the usual rules and signs every browser of the account out. A second
factor is left as it was: the next sign-in still asks for its code.

Requests are throttled (:class:`phr_share.consent.throttle.ResetPolicy`): per account
silently, per client address with a wait. Requests and resets are audited by account
id only, never with the address or what was typed.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage

from phr_share.audit import Action, Outcome
from phr_share.consent.throttle import Limit, ResetPolicy, in_words, reset_wait
from phr_share.crypto import derive_key, hash_password, keyed_digest, token_digest
from phr_share.db import PasswordReset, ResetRequest, Session, User
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import auth as auth_rows
from phr_share.errors import InvalidState, TooManyAttempts
from phr_share.mail import reset_message
from phr_share.models import user_id_text
from phr_share.sharing import throttle
from phr_share.sharing.accounts import drop_account_sessions
from phr_share.sharing.audit import record as audit
from phr_share.sharing.services import Services

__all__ = ["RESET_PATH", "RESET_TTL", "forgot_password", "reset_link_works", "use_reset_link"]

RESET_TTL = timedelta(minutes=30)
POLICY = ResetPolicy()
# Where a link leads on the site (the web layer serves this path).
RESET_PATH = "/login/reset/"
_LABEL = b"phr-share/reset-requests/1"
_USED = "This link was already used, or it is more than 30 minutes old. Ask for a new one."


def forgot_password(svc: Services, name: str, *, address: str = throttle.LOCAL) -> None:
    """Mail a reset link to the account with this username or e-mail address, if there
    is one with an address and it is not held back; nothing tells which happened.

    Raises TooManyAttempts, with the wait, when ``address`` asked too often.
    """
    now = svc.clock()
    here = keyed_digest(derive_key(svc.mfa_secret(), _LABEL), "address:" + address)
    since = now - POLICY.window
    with svc.db.session() as session:
        account_rows.drop_reset_requests(session, since)
        asked = account_rows.reset_requests(session, here, since)
        wait = reset_wait(POLICY, now, [], asked)
        if wait is not None:
            message = f"Too many requests from this network. Try again in {in_words(wait.seconds)}."
            raise TooManyAttempts(message, wait.seconds)
        session.add(ResetRequest(at=now, address=here))
        sent = _make_link(svc, session, _named(session, name), now)
    if sent is not None:
        svc.mailer().post([sent])


def _named(session: Session, name: str) -> User | None:
    """The active account with this username or address (both are stored in lower case)."""
    wanted = name.strip().lower()
    if not wanted:
        return None
    return account_rows.named_active_user(session, wanted)


def _make_link(
    svc: Services, session: Session, row: User | None, now: datetime
) -> EmailMessage | None:
    """A new link for the account, stored as its digest and audited; the mail to send
    (None: no account, no address, or held back)."""
    if row is None or row.email is None:
        audit(svc, session, Action.PASSWORD_RESET_REQUEST, "anonymous", outcome=Outcome.DENIED)
        return None
    made = account_rows.resets_made(session, row.id, now - POLICY.window)
    wait = reset_wait(POLICY, now, made, [])
    actor = user_id_text(row.id)
    if wait is not None and wait.limit is Limit.RESET_ACCOUNT:
        details = {"reason": "throttled"}
        audit(
            svc,
            session,
            Action.PASSWORD_RESET_REQUEST,
            "anonymous",
            subject=actor,
            outcome=Outcome.DENIED,
            details=details,
        )
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            digest=token_digest(token), user_id=row.id, created_at=now, expires_at=now + RESET_TTL
        )
    )
    audit(svc, session, Action.PASSWORD_RESET_REQUEST, "anonymous", subject=actor)
    link = svc.settings.site_url + RESET_PATH + token
    minutes = int(RESET_TTL.total_seconds() // 60)
    return reset_message(svc.settings.mail_from, row.email, link, minutes)


def reset_link_works(svc: Services, token: str) -> bool:
    """Whether this link can still set a password (unused, in time, its account active)."""
    return _live_owner(svc, token) is not None


def _live_owner(svc: Services, token: str) -> uuid.UUID | None:
    digest, now = token_digest(token), svc.clock()
    with svc.db.session() as session:
        return account_rows.live_reset_owner(session, digest, now)


def use_reset_link(svc: Services, token: str, new: str) -> int:
    """Set the account's password with a link, which is used up with every other link of
    the account; every browser of the account is signed out. How many were.

    Raises InvalidState (saying so plainly) for a link used, run out or unknown,
    InvalidInput for a password the rules refuse (the link still works then).
    """
    if _live_owner(svc, token) is None:
        raise InvalidState(_USED)
    hashed = hash_password(new, svc.randbytes, svc.password_cost)
    now = svc.clock()
    with svc.db.session() as session:
        user_id = account_rows.use_reset(session, token_digest(token), now)
        row = None if user_id is None else session.get(User, user_id)
        if row is None or not row.active:
            raise InvalidState(_USED)
        account_rows.void_resets_of(session, row.id, now)
        row.password_hash = hashed
        ended = drop_account_sessions(session, row.id, None)
        auth_rows.drop_pending_sign_ins_of(session, row.id)
        actor = user_id_text(row.id)
        audit(
            svc, session, Action.PASSWORD_RESET, actor, subject=actor, details={"sessions": ended}
        )
        return ended
