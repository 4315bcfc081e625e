"""Two-step sign-in on the Account page: set up TOTP from a QR code, recovery codes, removal.

An account whose role must have a second factor and has none can open only these pages
(and sign out). The QR code is drawn here, as an SVG data address (``segno``).
"""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.errors import TooManyAttempts, Unauthenticated
from phr_share.models import Principal
from phr_share.web.security import (
    client_address,
    current_account,
    current_session_id,
    requires,
    services,
)

__all__ = ["bp", "qr_code"]

bp = Blueprint("mfa", __name__, url_prefix="/account/mfa")
_NOTICE = ("mfa-reset",)


def qr_code(text: str) -> str:
    """``text`` as a QR code: an SVG ``data:`` address for an ``<img>``."""
    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=2))


def _me() -> Principal:
    account = current_account()
    assert account is not None
    return account.principal


def _page(status: int = 200, **extra: object) -> tuple[str, int]:
    svc, me = services(), _me()
    mfa = sharing.mfa_status(svc, me)
    enrolment = None if mfa.enrolled else sharing.start_enrolment(svc, me)
    notices = sharing.notifications(svc, me, mark_seen=True, topics=_NOTICE)
    page = render_template(
        "mfa.html",
        mfa=mfa,
        enrolment=enrolment,
        qr=qr_code(enrolment.uri) if enrolment is not None else None,
        resets=[n for n in notices if n.topic in _NOTICE and n.seen_at is None],
        **extra,
    )
    return page, status


@bp.get("")
@requires(setting_up=True)
def setup() -> tuple[str, int]:
    """Two-step sign-in: set it up (a QR code and its secret), or its state."""
    return _page()


def _refused(error: Unauthenticated | TooManyAttempts) -> tuple[str, int]:
    if isinstance(error, TooManyAttempts):
        return _page(429, refused=error.message)
    return _page(403, refused="That code is not right.")


@bp.post("/confirm")
@requires(setting_up=True)
def confirm() -> tuple[str, int]:
    """Finish setting up with a code: the recovery codes are shown, only this once."""
    try:
        codes = sharing.confirm_enrolment(
            services(),
            _me(),
            request.form.get("code", ""),
            keep=current_session_id(),
            address=client_address(),
        )
    except (Unauthenticated, TooManyAttempts) as error:
        return _refused(error)
    return _page(recovery=codes, confirmed=True)


@bp.post("/recovery")
@requires()
def recovery() -> tuple[str, int]:
    """Ten new recovery codes for a current code; the old ones stop working."""
    try:
        codes = sharing.new_recovery_codes(
            services(), _me(), request.form.get("code", ""), address=client_address()
        )
    except (Unauthenticated, TooManyAttempts) as error:
        return _refused(error)
    return _page(recovery=codes)


@bp.post("/remove")
@requires()
def remove() -> BaseResponse | tuple[str, int]:
    """Remove the second factor for a current code (to set up a new phone)."""
    try:
        code = request.form.get("code", "")
        sharing.remove_mfa(services(), _me(), code, address=client_address())
    except (Unauthenticated, TooManyAttempts) as error:
        return _refused(error)
    flash("Two-step sign-in removed.", "ok")
    return redirect(url_for("mfa.setup"))
