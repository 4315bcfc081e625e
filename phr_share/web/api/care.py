"""Care relationships over the API: invitations and requests, partners, delegation."""

from __future__ import annotations

import uuid

from flask import Blueprint
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.models import CLINICIANS, Role
from phr_share.web import fields
from phr_share.web.api.base import (
    account_in,
    answer,
    caller,
)
from phr_share.web.presentation import (
    kinds_from,
)
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("care", __name__)


@bp.get("/v1/care")
@requires(Role.PATIENT, *CLINICIANS)
def care() -> BaseResponse:
    """The caller's open care relationships (a patient's clinicians, a clinician's patients)."""
    return answer({"items": sharing.care_of(services(), caller())})


@bp.post("/v1/care")
@requires(Role.PATIENT, *CLINICIANS)
def open_care() -> BaseResponse:
    """A patient invites a clinician ({"username"} or {"clinician"}); a clinician asks to
    care for a patient ({"patient_id"}). The other side accepts."""
    body, me = fields.body(), caller()
    if me.role is Role.PATIENT:
        relationship = sharing.invite_clinician(services(), me, account_in(body, "clinician"))
    else:
        patient_id = fields.uuid_of(body, "patient_id")
        relationship = sharing.request_care(services(), me, patient_id)
    return answer({"id": relationship}, 201)


@bp.post("/v1/care/<id:relationship>/accept")
@requires(Role.PATIENT, *CLINICIANS)
def accept_care(relationship: int) -> BaseResponse:
    """Accept an invitation (clinician) or a request (patient)."""
    sharing.accept_care(services(), caller(), relationship)
    return answer({"id": relationship, "status": "active"})


@bp.post("/v1/care/<id:relationship>/end")
@requires(Role.PATIENT, *CLINICIANS)
def end_care(relationship: int) -> BaseResponse:
    """End a care relationship; the clinician's grants on the patient are revoked."""
    sharing.end_care(services(), caller(), relationship)
    return answer({"id": relationship, "status": "ended"})


@bp.post("/v1/patients/<uuid:patient_id>/partners")
@requires(*CLINICIANS)
def ask_partner(patient_id: uuid.UUID) -> BaseResponse:
    """Ask a partner clinician in ({"username"} or {"partner"}, "kinds"): pending until the
    patient approves."""
    body = fields.body()
    grant_id = sharing.ask_partner(
        services(),
        caller(),
        account_in(body, "partner"),
        patient_id,
        kinds_from(body.get("kinds", [])),
    )
    return answer({"id": grant_id, "status": "pending"}, 201)


@bp.post("/v1/delegations/<id:grant_id>")
@requires(Role.PATIENT)
def answer_delegation(grant_id: int) -> BaseResponse:
    """Approve ({"approve": true}) or refuse a clinician's request to bring a partner in."""
    approve = fields.flag(fields.body(), "approve", None)
    sharing.answer_delegation(services(), caller(), grant_id, approve)
    return answer({"id": grant_id, "approved": approve})
