"""The caregiver's pages: the people they look after, and what each shares with them."""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, request

from phr_share import sharing
from phr_share.models import Principal, Role
from phr_share.web.record_view import record_context
from phr_share.web.security import current_account, requires, services

__all__ = ["bp"]

bp = Blueprint("family", __name__, url_prefix="/family")


def _me() -> Principal:
    account = current_account()
    assert account is not None
    return account.principal


@bp.get("")
@requires(Role.CAREGIVER)
def people() -> str:
    """The people who asked me in, with what they share; my notices."""
    svc, me = services(), _me()
    account = current_account()
    assert account is not None
    return render_template(
        "family/people.html",
        cards=sharing.patients_of(svc, me),
        username=account.username,
        unseen=[n for n in sharing.notifications(svc, me) if n.seen_at is None],
    )


@bp.get("/patients/<uuid:patient_id>")
@requires(Role.CAREGIVER)
def record(patient_id: uuid.UUID) -> str:
    """What the person shares with me: readings, charts and the sections granted."""
    context = record_context(services(), _me(), patient_id, request.args)
    return render_template("family/record.html", **context)
