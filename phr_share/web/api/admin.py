"""The administrator's API: health, break-glass review, keys, release, audit, staff."""

from __future__ import annotations

import uuid

from flask import Blueprint, request
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import parse_choice
from phr_share.models import Role
from phr_share.sharing.emergency import REVIEW_OUTCOMES
from phr_share.web import fields
from phr_share.web.admin import health
from phr_share.web.api.base import (
    answer,
    caller,
    page_args,
    plain,
)
from phr_share.web.presentation import (
    audit_filters,
    staff_role,
)
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("admin", __name__)


@bp.get("/v1/admin/health")
@requires(Role.ADMIN)
def admin_health() -> BaseResponse:
    """Database, Swift, S3 and key store probes."""
    checks = health(services())
    ok = all(c.ok for c in checks)
    return answer({"ok": ok, "checks": checks}, 200 if ok else 503)


@bp.get("/v1/admin/emergencies")
@requires(Role.ADMIN)
def admin_emergencies() -> BaseResponse:
    """The break-glass review queue."""
    return answer({"items": sharing.review_queue(services(), caller())})


@bp.post("/v1/admin/emergencies/<id:emergency_id>/review")
@requires(Role.ADMIN)
def review_emergency(emergency_id: int) -> BaseResponse:
    """Record a break-glass review ({"outcome": "justified" | "unjustified"})."""
    outcome = parse_choice(sorted(REVIEW_OUTCOMES), fields.body().get("outcome"), "outcome")
    sharing.review_emergency(services(), caller(), emergency_id, outcome)
    return answer({"id": emergency_id, "outcome": outcome})


@bp.post("/v1/admin/keys/rotate")
@requires(Role.ADMIN)
def rotate_keys() -> BaseResponse:
    """A new master key version; every live patient key re-wrapped under it."""
    return answer(sharing.rotate_master(services(), caller()))


@bp.post("/v1/admin/release")
@requires(Role.ADMIN)
def run_release() -> BaseResponse:
    """Run a research release now: de-identify, gate on k, publish (or write nothing)."""
    report = sharing.run_release(services(), caller())
    return answer(report, 201 if report.release_id is not None else 200)


@bp.get("/v1/admin/audit")
@requires(Role.ADMIN)
def verify_audit() -> BaseResponse:
    """Verify the audit log against its chain and every signed tree head: the first entry
    affected (or null), the heads that hold, and any untrusted head."""
    report = sharing.verify_audit(services(), caller())
    return answer({"ok": report.ok, **plain(report)})


@bp.post("/v1/admin/audit/sign")
@requires(Role.ADMIN)
def sign_tree_head() -> BaseResponse:
    """Sign a tree head of the audit log now if entries came since the last: the newest."""
    return answer({"head": sharing.sign_tree_head(services(), caller())})


@bp.get("/v1/admin/audit/key")
@requires(Role.ADMIN)
def audit_key() -> BaseResponse:
    """The audit log's public signing key (base64), its fingerprint, the latest head."""
    return answer(sharing.audit_key(services(), caller()))


@bp.get("/v1/admin/audit/entries")
@requires(Role.ADMIN)
def audit_log() -> BaseResponse:
    """The newest audit entries (``outcome``, ``area``, ``before`` a sequence number)."""
    outcome, area, before = audit_filters(request.args)
    page = page_args()[1]
    entries = sharing.latest_entries(
        services(), caller(), limit=page, before=before, outcome=outcome, area=area
    )
    return answer({"items": entries, "older": entries[-1].seq if len(entries) == page else None})


@bp.get("/v1/admin/accounts")
@requires(Role.ADMIN)
def staff() -> BaseResponse:
    """Every staff account (clinicians, researchers, admins)."""
    return answer({"items": sharing.staff_accounts(services(), caller())})


@bp.post("/v1/admin/accounts")
@requires(Role.ADMIN)
def create_staff() -> BaseResponse:
    """A staff account ({"username", "role", "display_name", "password"})."""
    body = fields.body()
    account = sharing.create_user(
        services(),
        caller(),
        fields.text(body, "username"),
        staff_role(body.get("role")),
        display_name=fields.text(body, "display_name").strip()[:128],
        password=fields.text(body, "password") or None,
    )
    return answer(account, 201)


@bp.post("/v1/admin/accounts/<uuid:user_id>/disable")
@requires(Role.ADMIN)
def disable_staff(user_id: uuid.UUID) -> BaseResponse:
    """Switch an account off: no login, no token, no session, every decision denied."""
    sharing.disable_user(services(), caller(), user_id)
    return answer({"id": user_id, "active": False})
