"""The operator's page: health, break-glass review queue, key rotation, audit, accounts."""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import parse_choice
from phr_share.errors import InvalidInput, InvalidState, PhrShareError
from phr_share.models import Outcome, Principal, Role
from phr_share.sharing.audit import AREAS
from phr_share.sharing.emergency import REVIEW_OUTCOMES
from phr_share.sharing.health import Check, component_health
from phr_share.web.presentation import STAFF_ROLES, audit_filters, staff_role
from phr_share.web.security import current_account, requires, services

__all__ = ["Check", "bp", "health"]

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50  # audit entries per page


# The components as the operator's page names them.
_LABELS = {
    "database": "database",
    "swift": "Swift (private store)",
    "s3": "S3 (research bucket)",
    "keystore": "key store",
}


def health(svc: sharing.Services) -> list[Check]:
    """Probe the database, Swift, S3 and the key store; and count the mails sent."""
    checks = [replace(c, name=_LABELS[c.name]) for c in component_health(svc)]
    return [*checks, _mail_check(svc)]


def _mail_check(svc: sharing.Services) -> Check:
    """Mails sent and failed since this process started (each failure is in the log).

    Counts, not a probe: a mail that failed an hour ago does not make the site unhealthy,
    and a notice never depends on its mail.
    """
    mailer = svc.mailer()
    if not mailer.enabled:
        return Check("e-mail (SMTP)", True, "off: PHR_SMTP_URL is not set")
    return Check("e-mail (SMTP)", True, f"{mailer.sent} sent, {mailer.failed} failed since start")


def _me() -> Principal:
    account = current_account()
    assert account is not None
    return account.principal


@bp.get("")
@requires(Role.ADMIN)
def overview() -> str:
    """Health, the review queue, the audit log and its signing key, accounts."""
    svc, me = services(), _me()
    staff = sharing.staff_accounts(svc, me)
    return render_template(
        "admin/overview.html",
        checks=health(svc),
        queue=sharing.review_queue(svc, me),
        audit=sharing.verify_audit(svc, me, latest_only=True),
        signing=sharing.audit_key(svc, me),
        roles=STAFF_ROLES,
        staff=staff,
        names={a.principal.id: a.display_name for a in staff},
        me=me,
    )


@bp.get("/audit")
@requires(Role.ADMIN)
def audit_log() -> str | tuple[str, int]:
    """The newest audit entries, by outcome and area, fifty at a time (ids and codes only);
    a filter that is no choice is answered on the page, over the unfiltered entries."""
    svc, me = services(), _me()
    try:
        outcome, area, before = audit_filters(request.args)
    except InvalidInput as exc:
        return _audit_page(svc, me, None, None, None, error=exc.message), 422
    return _audit_page(svc, me, outcome, area, before)


def _audit_page(
    svc: sharing.Services,
    me: Principal,
    outcome: Outcome | None,
    area: str | None,
    before: int | None,
    error: str | None = None,
) -> str:
    entries = sharing.latest_entries(svc, me, limit=PAGE, before=before, outcome=outcome, area=area)
    return render_template(
        "admin/audit.html",
        error=error,
        entries=entries,
        report=sharing.verify_audit(svc, me, latest_only=True),
        outcome=outcome,
        area=area,
        areas=AREAS,
        outcomes=list(Outcome),
        older=entries[-1].seq if len(entries) == PAGE else None,
    )


@bp.post("/emergencies/<id:emergency_id>/review")
@requires(Role.ADMIN)
def review(emergency_id: int) -> BaseResponse:
    """Record the review of a break-glass access."""
    outcome = parse_choice(sorted(REVIEW_OUTCOMES), request.form.get("outcome", ""), "outcome")
    sharing.review_emergency(services(), _me(), emergency_id, outcome)
    flash("Review recorded.", "ok")
    return redirect(url_for("admin.overview"))


@bp.post("/keys/rotate")
@requires(Role.ADMIN)
def rotate() -> BaseResponse:
    """Rotate the master key: every patient key is re-wrapped, no segment re-encrypted."""
    report = sharing.rotate_master(services(), _me())
    flash(
        f"New master key {report.master_version}; {report.rewrapped} patient keys re-wrapped.", "ok"
    )
    return redirect(url_for("admin.overview"))


@bp.post("/release")
@requires(Role.ADMIN)
def release() -> BaseResponse:
    """Run a research release now: de-identify, gate on k, publish (or write nothing)."""
    try:
        report = sharing.run_release(services(), _me())
    except PhrShareError as error:
        flash(f"No release: {error.message}", "error")
        return redirect(url_for("admin.overview"))
    if report.release_id is None:
        flash("Nothing new to release.", "ok")
    else:
        flash(
            f"Release published: {report.segments_published} segments, "
            f"{report.records_in - report.records_suppressed} records, k={report.k_achieved}.",
            "ok",
        )
    return redirect(url_for("admin.overview"))


@bp.post("/users")
@requires(Role.ADMIN)
def create_account() -> BaseResponse:
    """Create a clinician, researcher or admin account."""
    account = sharing.create_user(
        services(),
        _me(),
        request.form.get("username", ""),
        staff_role(request.form.get("role", "")),
        display_name=request.form.get("display_name", "").strip()[:128],
        password=request.form.get("password") or None,
    )
    flash(f"Account {account.username} ({account.role.value}) created.", "ok")
    return redirect(url_for("admin.overview"))


@bp.post("/users/<uuid:user_id>/disable")
@requires(Role.ADMIN)
def disable_account(user_id: uuid.UUID) -> BaseResponse:
    """Switch an account off: its sign-ins, sessions and tokens stop, every decision denies."""
    try:
        sharing.disable_user(services(), _me(), user_id)
    except InvalidState as error:
        flash(f"Not disabled: {error.message}.", "error")
    else:
        flash("Account disabled: signed out everywhere, tokens refused.", "ok")
    return redirect(url_for("admin.overview"))


@bp.post("/users/<uuid:user_id>/mfa-reset")
@requires(Role.ADMIN)
def reset_mfa(user_id: uuid.UUID) -> BaseResponse:
    """Remove an account's lost second factor: it is signed out and notified, and sets up
    a new one at its next sign-in."""
    try:
        ended = sharing.reset_mfa(services(), _me(), user_id)
    except InvalidState as error:
        flash(f"Not reset: {error.message}.", "error")
    else:
        flash(f"Second factor reset, {ended} session(s) signed out, the account notified.", "ok")
    return redirect(url_for("admin.overview"))
