"""Sign up (patients), sign in (a password, then a second factor's code when the account
has one), sign out, and each account's password and API tokens."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import zone_names
from phr_share.errors import (
    AccountClosed,
    InvalidInput,
    InvalidState,
    TooManyAttempts,
    Unauthenticated,
)
from phr_share.models import Role
from phr_share.sharing import (
    Account,
    authenticate,
    finish_second_step,
    forgot_password,
    notifications,
    pending_sign_in,
    reset_link_works,
    sign_up,
    use_reset_link,
)
from phr_share.sharing.accounts import MAX_TOKEN_TTL, USERNAME_PATTERN
from phr_share.web.local_time import local
from phr_share.web.presentation import whole_number
from phr_share.web.security import (
    await_code,
    client_address,
    current_account,
    current_session_id,
    log_in,
    log_out,
    pending_id,
    requires,
    safe_next,
    services,
)

__all__ = ["bp"]

bp = Blueprint("auth", __name__)


def _wait_words(error: TooManyAttempts) -> str:
    """How long to wait, and until when on the person's own clock."""
    until = local(services().clock() + timedelta(seconds=error.retry_after))
    return f"{error.message.removesuffix('.')} (at {until:%H:%M})."


def _held_back(page: str, error: TooManyAttempts) -> BaseResponse:
    """A form again, saying how long to wait, as 429 with Retry-After."""
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.get("/login")
def login() -> str:
    """The sign-in form."""
    return render_template("login.html", next=safe_next(request.args.get("next")))


@bp.post("/login")
def login_post() -> BaseResponse | tuple[str, int]:
    """Check the password (throttled per account and address); the code comes next for an
    account with a second factor."""
    username = request.form.get("username", "")[:128]
    target = safe_next(request.form.get("next"))
    password = request.form.get("password", "")
    try:
        account = authenticate(services(), username, password, address=client_address())
    except TooManyAttempts as error:
        page = render_template("login.html", error=_wait_words(error), next=target)
        return _held_back(page, error)
    except AccountClosed:
        closed = (
            "This account was closed when its data was erased. "
            "You can create a new account at any time."
        )
        return render_template("login.html", error=closed, next=target), 401
    except Unauthenticated:
        return render_template("login.html", error="Wrong username or password.", next=target), 401
    _learn_zone(account)
    if account.mfa:
        await_code(account)
        return redirect(url_for("auth.code", next=target))
    return _signed_in(account, target)


# The one answer to "forgot my password", whether or not an account matched.
SENT = "If an account has this address, we sent a link. It works for 30 minutes."
_GONE = "This link was already used, or it is more than 30 minutes old."


@bp.get("/login/forgot")
def forgot() -> str:
    """Ask for a link to set a new password."""
    return render_template("forgot.html")


@bp.post("/login/forgot")
def forgot_post() -> BaseResponse | str:
    """Mail a link if an account matches; the same answer either way."""
    typed = request.form.get("name", "")[:254]
    try:
        forgot_password(services(), typed, address=client_address())
    except TooManyAttempts as error:
        return _held_back(
            render_template("forgot.html", error=_wait_words(error), typed=typed), error
        )
    return render_template("forgot.html", sent=SENT)


def _reset_page(token: str, status: int = 200, **extra: object) -> BaseResponse:
    works = reset_link_works(services(), token)
    page = render_template("reset.html", token=token, works=works, gone=_GONE, **extra)
    response = make_response(page, status if works else 410)
    # The token is in this page's address: never sent on, even to our own assets.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/login/reset/<token>")
def reset(token: str) -> BaseResponse:
    """The page of a reset link: a new password, or plain words when the link is gone."""
    return _reset_page(token[:128])


@bp.post("/login/reset")
def reset_post() -> BaseResponse:
    """Set the new password with the link; then sign in with it (and its second factor)."""
    token = request.form.get("token", "")[:128]
    new = request.form.get("new", "")
    if new != request.form.get("confirm", ""):
        return _reset_page(token, 422, error="The two passwords differ.")
    try:
        use_reset_link(services(), token, new)
    except InvalidInput as error:
        return _reset_page(token, 422, error=error.message)
    except InvalidState:
        return _reset_page(token)
    flash("Your new password is set. Sign in with it.", "ok")
    return redirect(url_for("auth.login"))


@bp.get("/login/code")
def code() -> BaseResponse | str:
    """The second step: the code from the authenticator app, or a recovery code."""
    if pending_sign_in(services(), pending_id()) is None:
        return redirect(url_for("auth.login"))
    return render_template("login_code.html", next=safe_next(request.args.get("next")))


@bp.post("/login/code")
def code_post() -> BaseResponse | tuple[str, int]:
    """Check the code (throttled with the passwords); the session starts only now."""
    target = safe_next(request.form.get("next"))
    if pending_sign_in(services(), pending_id()) is None:
        flash("The code was not entered within 5 minutes: sign in again.", "error")
        return redirect(url_for("auth.login", next=target))
    try:
        account = finish_second_step(
            services(), pending_id(), request.form.get("code", ""), address=client_address()
        )
    except TooManyAttempts as error:
        page = render_template("login_code.html", error=_wait_words(error), next=target)
        return _held_back(page, error)
    except Unauthenticated:
        return render_template("login_code.html", error="That code is not right.", next=target), 401
    session.pop("pending", None)
    return _signed_in(account, target)


def _learn_zone(account: Account) -> None:
    """An account without a time zone takes the browser's (a bad one is ignored: the
    Account page sets it by hand)."""
    if account.time_zone is None and request.form.get("time_zone"):
        with suppress(InvalidInput):
            sharing.set_time_zone(services(), account.principal, request.form["time_zone"])


def _signed_in(account: Account, target: str | None) -> BaseResponse:
    log_in(account)
    if account.needs_mfa_setup:
        flash("Your account signs in with a second factor: set it up to go on.", "warning")
        return redirect(url_for("mfa.setup"))
    target = target or url_for("home")
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


def _signup_page(**extra: object) -> str:
    return render_template("signup.html", username_pattern=USERNAME_PATTERN, **extra)


@bp.get("/signup")
def signup() -> str:
    """The sign-up form of patients and caregivers (clinicians and researchers are
    created by an admin)."""
    return _signup_page()


@bp.post("/signup")
def signup_post() -> BaseResponse | tuple[str, int]:
    """Create a patient's (or a caregiver's) account and sign in."""
    form = request.form
    if form.get("password", "") != form.get("confirm", ""):
        return _signup_page(error="The passwords differ.", form=form), 422
    caregiver = form.get("account", "patient") == "caregiver"
    try:
        account = sign_up(
            services(),
            form.get("username", ""),
            form.get("password", ""),
            display_name=form.get("display_name", "").strip()[:128],
            role=Role.CAREGIVER if caregiver else Role.PATIENT,
            email=form.get("email", "")[:254],
        )
    except (InvalidInput, InvalidState) as error:
        return _signup_page(error=error.message, form=form), 422
    _learn_zone(account)
    log_in(account)
    if caregiver:
        flash(
            f"Welcome. Tell the person you look after your username, {account.username}: "
            "they ask you in from their Sharing page.",
            "ok",
        )
        return redirect(url_for("family.people"))
    flash("Welcome. Upload a record or enter today's readings to begin.", "ok")
    return redirect(url_for("patient.dashboard"))


def _account_page(**extra: object) -> str:
    account = current_account()
    assert account is not None
    svc = services()
    return render_template(
        "tokens.html",
        tokens=sharing.tokens_of(svc, account.principal),
        mfa=sharing.mfa_status(svc, account.principal),
        other_sessions=sharing.other_sessions(svc, current_session_id()),
        zones=sorted(zone_names()),
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
            address=client_address(),
        )
    except TooManyAttempts as error:
        return _held_back(_account_page(refused=_wait_words(error)), error)
    except Unauthenticated:
        return _account_page(refused="The current password is not right."), 403
    except InvalidInput as error:
        return _account_page(refused=error.message), 422
    others = f" {ended} other browser{'s' if ended != 1 else ''} signed out." if ended else ""
    flash(f"Password changed.{others}", "ok")
    return redirect(url_for("auth.tokens"))


@bp.post("/account/time-zone")
@requires()
def time_zone() -> BaseResponse | tuple[str, int]:
    """Show my times in another zone."""
    account = current_account()
    assert account is not None
    try:
        sharing.set_time_zone(services(), account.principal, request.form.get("time_zone", ""))
    except InvalidInput as error:
        return _account_page(zone_error=error.message), 422
    flash("Time zone saved: times are now shown in it.", "ok")
    return redirect(url_for("auth.tokens"))


@bp.post("/account/email")
@requires()
def email() -> BaseResponse | tuple[str, int]:
    """Set, change or remove my e-mail address."""
    account = current_account()
    assert account is not None
    typed = request.form.get("email", "")[:254]
    try:
        changed = sharing.set_email(services(), account.principal, typed)
    except (InvalidInput, InvalidState) as error:
        return _account_page(email_error=error.message, email_typed=typed), 422
    said = "E-mail address saved." if changed.email else "E-mail address removed: no e-mails."
    flash(said, "ok")
    return redirect(url_for("auth.tokens"))


@bp.post("/notices/<id:notice_id>/dismiss")
@requires()
def dismiss(notice_id: int) -> BaseResponse:
    """Dismiss one of my notices; back to the page it was on."""
    account = current_account()
    assert account is not None
    sharing.dismiss_notices(services(), account.principal, notice_id)
    return redirect(_same_page())


@bp.post("/notices/dismiss")
@requires()
def dismiss_all() -> BaseResponse:
    """Dismiss all my notices."""
    account = current_account()
    assert account is not None
    sharing.dismiss_notices(services(), account.principal)
    return redirect(_same_page())


def _same_page() -> str:
    back = safe_next(request.form.get("back"))
    return back or url_for("home")


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
