"""Reading a record and storing into it over the API: segments, charts, documents, readings."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import time_zone
from phr_share.errors import InvalidInput
from phr_share.models import Role
from phr_share.web import fields
from phr_share.web.api.base import (
    answer,
    caller,
    caller_patient,
    page_args,
    purpose_arg,
    stored_answer,
)
from phr_share.web.presentation import (
    chart_json,
    whole_number,
)
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("records", __name__)


@bp.get("/v1/patients/<uuid:patient_id>/segments")
@requires()
def segments(patient_id: uuid.UUID) -> BaseResponse:
    """A page of the segments the caller may read now (decided for this very page)."""
    page, per_page = page_args()
    visible = sharing.readable_segments(services(), caller(), patient_id, purpose_arg())
    visible.sort(key=lambda r: (r.document_id, r.id))
    chosen = visible[(page - 1) * per_page : page * per_page]
    items = [
        {"tracking_id": r.tracking_id, "kind": r.kind.value, "version": r.version, "size": r.size}
        for r in chosen
    ]
    return answer({"items": items, "page": page, "per_page": per_page, "total": len(visible)})


@bp.get("/v1/segments/<uuid:tracking_id>")
@requires()
def segment(tracking_id: uuid.UUID) -> BaseResponse:
    """One segment, read through the decision point, as title and narrative blocks."""
    svc = services()
    record = sharing.find_segment(svc, caller(), tracking_id)
    view = sharing.read_section(svc, caller(), record, purpose_arg()).view
    return answer(
        {
            "tracking_id": tracking_id,
            "kind": record.kind.value,
            "version": record.version,
            "title": view.title,
            "blocks": view.blocks,
        }
    )


@bp.get("/v1/patients/<uuid:patient_id>/vitals")
@requires()
def vitals(patient_id: uuid.UUID) -> BaseResponse:
    """Chart series (vital signs, glucose, pain, mood, activity) from the series of the
    kinds the caller may read: the last ``days`` days (every reading when not given); a
    long span comes binned, its points the intervals' means, and a short one (a day of
    sensor glucose) at full resolution."""
    given = request.args.get("days", "").strip()
    days = whole_number(given, "days", 1, sharing.MAX_SUMMARY_DAYS) if given else None
    zone = time_zone(request.args.get("time_zone", "UTC"))
    found = sharing.dashboard_of(
        services(), caller(), patient_id, chart_days=days, zone=zone, purpose=purpose_arg()
    )
    return answer(chart_json(found.chart))


@bp.get("/v1/patients/<uuid:patient_id>/summary")
@requires()
def summary(patient_id: uuid.UUID) -> BaseResponse:
    """The chronic-care summary of the last ``days`` days (14 by default), in ``time_zone``,
    from the kinds the caller may read."""
    days = whole_number(request.args.get("days", "14"), "days", 1, sharing.MAX_SUMMARY_DAYS)
    zone = time_zone(request.args.get("time_zone", "UTC"))
    found = sharing.summary_of(
        services(), caller(), patient_id, days=days, zone=zone, purpose=purpose_arg()
    )
    return answer(sharing.summary_answer(found))


@bp.get("/v1/documents")
@requires(Role.PATIENT)
def documents() -> BaseResponse:
    """A page of the patient's own stored documents (every version; ``current`` marks the
    latest of each), newest first, with their segments."""
    page, per_page = page_args()
    stored = sharing.stored_documents(services(), caller(), caller_patient())
    items = [
        {
            "id": d.id,
            "version": d.version,
            "current": d.current,
            "type_code": d.type_code,
            "stored_at": d.stored_at,
            "size": d.size,
            "segments": [
                {"tracking_id": r.tracking_id, "kind": r.kind.value, "size": r.size}
                for r in d.segments
            ],
        }
        for d in stored[(page - 1) * per_page : page * per_page]
    ]
    return answer({"items": items, "page": page, "per_page": per_page, "total": len(stored)})


@bp.get("/v1/documents/<id:document_id>")
@requires(Role.PATIENT)
def download(document_id: int) -> BaseResponse:
    """One of the patient's own stored documents, rebuilt from its segments (application/xml)."""
    data = sharing.export_document(services(), caller(), document_id)
    return Response(data, mimetype="application/xml")


@bp.post("/v1/documents")
@requires(Role.PATIENT)
def upload() -> BaseResponse:
    """Store a C-CDA document sent as the request body (application/xml)."""
    result = sharing.ingest_document(services(), caller(), request.get_data(), caller_patient())
    return stored_answer(result)


@bp.post("/v1/readings")
@requires(Role.PATIENT)
def readings() -> BaseResponse:
    """Store home readings sent as a JSON object of form fields (text or numbers)."""
    form = {}
    for name, value in fields.body().items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(f"{name} is text or a number")
        form[name] = str(value)
    return stored_answer(sharing.save_readings(services(), caller(), form))
