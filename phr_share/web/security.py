"""Sessions, CSRF, where to go after signing in, security headers and who is asking.

The session cookie holds only a session id (or, between a password and its second
factor, a pending sign-in's id) and a CSRF token, signed by Flask; it is HttpOnly,
SameSite=Lax and Secure. The session itself lives in the database, so signing out ends
it for good, not just in this browser. Every form POST carries the CSRF token; the JSON
API takes a bearer token instead (no cookie, so nothing to forge). Password and code
guesses are throttled by the use cases, over the database, per account and address.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, abort, current_app, g, request, session

from phr_share.errors import AccessDenied, Unauthenticated
from phr_share.models import Reason, Role
from phr_share.sharing import (
    Account,
    Services,
    authenticate_token,
    end_session,
    session_account,
    start_second_step,
    start_session,
)

__all__ = [
    "await_code",
    "bare",
    "client_address",
    "csrf_token",
    "current_account",
    "current_session_id",
    "install",
    "log_in",
    "log_out",
    "pending_id",
    "requires",
    "roles_of",
    "safe_next",
    "services",
]

F = TypeVar("F", bound=Callable[..., Any])
_ROLES = "phr_share_roles"  # where requires() notes the roles a view admits
_BARE = "phr_share_bare"  # where bare() marks a view that reads no session or token

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Our own pages learn which page a form came from (to answer a mistake there); no
    # other site ever sees an address of ours, which may hold a patient id.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def services() -> Services:
    """The use cases' services, opened once per app."""
    return cast(Services, current_app.extensions["phr_share"])


def client_address() -> str:
    """The address this request came from (the proxy's X-Forwarded-For when trusted)."""
    return request.remote_addr or "-"


# Browsers drop ASCII tab, CR and LF anywhere in a URL before reading it: "/\t/host" is
# "//host", another site.
_DROPPED = str.maketrans("", "", "\t\r\n")


def _local_path(path: str) -> bool:
    if not path.isascii() or "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return False  # "\" is "/" to browsers; non-ASCII holds look-alike slashes
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return False
    *inner, last = re.split(r"[?#]", path, maxsplit=1)[0].split("/")[1:]
    # No empty, "." or ".." segment: "/..//host" resolves to "//host".
    return all(s not in {"", ".", ".."} for s in inner) and last not in {".", ".."}


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, read as a browser reads it, else None.

    Refused: a scheme or host (also written ``//``, ``\\``, with tabs or newlines between,
    or once more percent-encoded), backslashes, control and non-ASCII characters (look-
    alike slashes), and dot or empty path segments.
    """
    if not target:
        return None
    path = target.translate(_DROPPED)
    decoded = unquote(path).translate(_DROPPED)
    return path if _local_path(path) and _local_path(decoded) else None


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def current_session_id() -> str:
    """The signed-in browser's session id ("" when there is none, as with an API token)."""
    return str(session.get("sid", ""))


def log_in(account: Account) -> None:
    """Start a fresh session for the account (a new CSRF token too)."""
    log_out()
    session["sid"] = start_session(services(), account)
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True


def log_out() -> None:
    """End the session, in the database too (and any sign-in waiting for its code)."""
    if sid := current_session_id():
        end_session(services(), sid)
    session.clear()


def await_code(account: Account) -> None:
    """Sign out and keep a pending sign-in of ``account``: its code is asked next."""
    log_out()
    session["pending"] = start_second_step(services(), account)


def pending_id() -> str:
    """The pending sign-in of this browser ("" when there is none)."""
    return str(session.get("pending", ""))


def current_account() -> Account | None:
    """The account behind this request (session cookie or bearer token), or None."""
    return cast(Account | None, g.get("account"))


def bare(view: F) -> F:
    """A view for machines (a load balancer's probe, a metrics scraper): no session or
    API token is read for it, so it touches no store, and no CSRF token is asked."""
    view.__dict__[_BARE] = True
    return view


def _is_bare() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and bool(view.__dict__.get(_BARE))


def _load_account() -> None:
    g.account = None
    g.via_token = False
    g.refused_token = False
    if _is_bare():
        return
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.via_token = True
        try:
            g.account = authenticate_token(services(), header.removeprefix("Bearer ").strip())
        except Unauthenticated:
            # Refused where an account is needed (requires); a public page such as the
            # OpenAPI document is answered whatever credentials came with the request.
            g.refused_token = True
        return
    sid = current_session_id()
    if not sid:
        return
    account = session_account(services(), sid)
    if account is None:  # signed out elsewhere, run out, or the account was disabled
        session.clear()
        return
    g.account = account


def _check_csrf() -> None:
    if request.method in {"GET", "HEAD", "OPTIONS"} or g.get("via_token") or _is_bare():
        return
    if request.path.startswith("/api/") and g.get("account") is None:
        return  # no session to ride on: the route answers 401, not "the form expired"
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        abort(
            400,
            description="the form expired or came from elsewhere; reload the page and try again",
        )


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_account() is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    """Wire sessions, CSRF and headers into the app."""
    app.before_request(_load_account)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


def requires(*roles: Role, setting_up: bool = False) -> Callable[[F], F]:
    """A view for signed-in accounts of these roles (any role when none is given).

    An account whose role must have a second factor and has none reaches only the views
    marked ``setting_up`` (where it sets one up): elsewhere AccessDenied (mfa-required),
    which sends a browser to that page.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if g.get("refused_token"):
                raise Unauthenticated()
            if account is None:
                raise Unauthenticated("sign in first")
            if account.needs_mfa_setup and not setting_up:
                raise AccessDenied(Reason.MFA_REQUIRED, "set up two-step sign-in first")
            if roles and account.role not in roles:
                raise AccessDenied(Reason.ROLE_NOT_PERMITTED, "this page is not for your role")
            return view(*args, **kwargs)

        wrapped.__dict__[_ROLES] = roles
        return cast(F, wrapped)

    return decorate


def roles_of(view: Callable[..., Any]) -> tuple[Role, ...] | None:
    """The roles a view made by :func:`requires` admits (empty: any signed-in account);
    None for a view anyone may open."""
    roles = view.__dict__.get(_ROLES)
    return None if roles is None else tuple(roles)
