"""The clinician's API: their patients, notes and orders, emergencies, one-visit links."""

from __future__ import annotations

import uuid

from flask import Blueprint
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.models import CLINICIANS
from phr_share.web import fields
from phr_share.web.api.base import (
    answer,
    caller,
    stored_answer,
)
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("clinic", __name__)


@bp.get("/v1/clinic/patients")
@requires(*CLINICIANS)
def clinic_patients() -> BaseResponse:
    """Patients who share with the calling clinician."""
    return answer({"items": sharing.patients_of(services(), caller())})


@bp.post("/v1/patients/<uuid:patient_id>/notes")
@requires(*CLINICIANS)
def note(patient_id: uuid.UUID) -> BaseResponse:
    """Write a note or order ({"text", "order"}) into the patient's record."""
    body = fields.body()
    result = sharing.write_note(
        services(),
        caller(),
        patient_id,
        fields.text(body, "text"),
        order=fields.flag(body, "order"),
    )
    return stored_answer(result)


@bp.post("/v1/patients/<uuid:patient_id>/emergency")
@requires(*CLINICIANS)
def emergency(patient_id: uuid.UUID) -> BaseResponse:
    """Declare an emergency ({"reason"}): audited, time-boxed, notified, reviewed."""
    access = sharing.declare_emergency(
        services(), caller(), patient_id, fields.text(fields.body(), "reason")
    )
    return answer(access, 201)


@bp.post("/v1/links/open")
@requires(*CLINICIANS)
def open_link() -> BaseResponse:
    """Use a one-visit link ({"token"}) once: the sections it shares, read and audited."""
    token = fields.text(fields.body(), "token").strip()
    visit = sharing.open_shared_sections(services(), caller(), token)
    items = [
        {
            "tracking_id": s.record.tracking_id,
            "kind": s.record.kind.value,
            "title": s.view.title,
            "blocks": s.view.blocks,
        }
        for s in visit.sections
    ]
    return answer({"items": items})
