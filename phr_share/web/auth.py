"""Sign up (patients), sign in, sign out, and each account's API tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.errors import InvalidInput, InvalidState, Unauthenticated
from phr_share.sharing import authenticate, notifications, sign_up
from phr_share.sharing.accounts import MAX_TOKEN_TTL
from phr_share.web.security import (
    attempt_throttle,
    current_account,
    current_session_id,
    log_in,
    log_out,
    requires,
    services,
)
from phr_share.web.views import whole_number

__all__ = ["bp"]

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    # Only paths on this site: never an absolute URL (open redirect).
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.get("/login")
def login() -> str:
    """The sign-in form."""
    return render_template("login.html", next=_safe_next(request.args.get("next")))


@bp.post("/login")
def login_post() -> BaseResponse | tuple[str, int]:
    """Check the password; throttled per address and per username."""
    throttle, address = attempt_throttle()
    username = request.form.get("username", "").strip().lower()[:128]
    wait = throttle.retry_after(address, username)
    if wait:
        page = render_template("login.html", error="Too many failed sign-ins. Try again later.")
        return page, 429, {"Retry-After": str(wait)}  # type: ignore[return-value]
    try:
        account = authenticate(services(), username, request.form.get("password", ""))
    except Unauthenticated:
        throttle.failed(address, username)
        return render_template("login.html", error="Wrong username or password."), 401
    throttle.succeeded(username)
    log_in(account)
    target = _safe_next(request.form.get("next")) or url_for("home")
    unseen = [n for n in notifications(services(), account.principal) if n.seen_at is None]
    # A patient's notices are listed on My data, where signing in leads by default.
    if unseen and target not in {url_for("home"), url_for("patient.dashboard")}:
        flash(f"{len(unseen)} new notification(s): see My data.", "warning")
    return redirect(target)


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the session."""
    log_out()
    return redirect(url_for("auth.login"))


@bp.get("/signup")
def signup() -> str:
    """The patient sign-up form (clinicians and researchers are created by an admin)."""
    return render_template("signup.html")


@bp.post("/signup")
def signup_post() -> BaseResponse | tuple[str, int]:
    """Create a patient account and sign in."""
    form = request.form
    if form.get("password", "") != form.get("confirm", ""):
        return render_template("signup.html", error="The passwords differ.", form=form), 422
    try:
        account = sign_up(
            services(),
            form.get("username", ""),
            form.get("password", ""),
            display_name=form.get("display_name", "").strip()[:128],
        )
    except (InvalidInput, InvalidState) as error:
        return render_template("signup.html", error=error.message, form=form), 422
    log_in(account)
    flash("Welcome. Upload a record or enter today's readings to begin.", "ok")
    return redirect(url_for("patient.dashboard"))


def _account_page(**extra: object) -> str:
    account = current_account()
    assert account is not None
    svc = services()
    return render_template(
        "tokens.html",
        tokens=sharing.tokens_of(svc, account.principal),
        other_sessions=sharing.other_sessions(svc, current_session_id()),
        **extra,
    )


@bp.get("/account/tokens")
@requires()
def tokens() -> str:
    """My sign-ins and API tokens."""
    return _account_page()


@bp.post("/account/password")
@requires()
def change_password() -> BaseResponse | tuple[str, int]:
    """Change my password (the current one first); my other browsers are signed out."""
    account = current_account()
    assert account is not None
    throttle, address = attempt_throttle()
    wait = throttle.retry_after(address, account.username)
    if wait:
        page = _account_page(refused="Too many wrong passwords. Try again later.")
        return page, 429, {"Retry-After": str(wait)}  # type: ignore[return-value]
    new = request.form.get("new", "")
    if new != request.form.get("confirm", ""):
        return _account_page(refused="The two new passwords differ."), 422
    try:
        ended = sharing.change_password(
            services(),
            account.principal,
            request.form.get("current", ""),
            new,
            keep=current_session_id(),
        )
    except Unauthenticated:
        throttle.failed(address, account.username)
        return _account_page(refused="The current password is not right."), 403
    except InvalidInput as error:
        return _account_page(refused=error.message), 422
    others = f" {ended} other browser{'s' if ended != 1 else ''} signed out." if ended else ""
    flash(f"Password changed.{others}", "ok")
    return redirect(url_for("auth.tokens"))


@bp.post("/account/sessions/others/end")
@requires()
def end_others() -> BaseResponse:
    """Sign me out of every other browser."""
    ended = sharing.end_other_sessions(services(), current_session_id())
    flash(f"Signed out of {ended} other browser{'s' if ended != 1 else ''}.", "ok")
    return redirect(url_for("auth.tokens"))


@bp.post("/account/tokens")
@requires()
def issue() -> BaseResponse | str:
    """Issue a token; it is shown once."""
    account = current_account()
    assert account is not None
    days = whole_number(request.form.get("days", "90"), "days", 1, MAX_TOKEN_TTL.days)
    issued = sharing.issue_token(
        services(), account.principal, request.form.get("name", ""), ttl=timedelta(days=days)
    )
    return _account_page(issued=issued)


@bp.post("/account/tokens/<id:token_id>/revoke")
@requires()
def revoke(token_id: int) -> BaseResponse:
    """Revoke one of my tokens."""
    account = current_account()
    assert account is not None
    sharing.revoke_token(services(), account.principal, token_id)
    flash("Token revoked.", "ok")
    return redirect(url_for("auth.tokens"))
