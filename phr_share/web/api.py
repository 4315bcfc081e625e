"""The JSON API: the same use cases as the pages, for programs (bearer API tokens).

Errors are ``{"error": {"code", "message", ...}}`` with the status of the error table;
listings are paginated and every page is decided afresh by the decision point.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.consent import CLINICIANS, Principal, Purpose, Role
from phr_share.errors import InvalidInput
from phr_share.research import (
    RecordQuery,
    catalogue,
    records_to_jsonl,
    records_to_parquet,
    release_records,
)
from phr_share.web.admin import health
from phr_share.web.openapi import document
from phr_share.web.security import current_account, requires, services
from phr_share.web.views import kinds_from, series_json

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PER_PAGE = 100


def _me() -> Principal:
    account = current_account()
    assert account is not None
    return account.principal


def _patient_id() -> uuid.UUID:
    patient_id = _me().patient_id
    assert patient_id is not None
    return patient_id


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _json(value: Any, status: int = 200) -> BaseResponse:
    response = jsonify(_plain(value))
    response.status_code = status
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


def _page() -> tuple[int, int]:
    try:
        page = max(1, int(request.args.get("page", "1")))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", "20"))))
    except ValueError:
        raise InvalidInput("page and per_page are whole numbers") from None
    return page, per_page


def _purpose() -> Purpose:
    try:
        return Purpose(request.args.get("purpose", Purpose.TREATMENT.value))
    except ValueError:
        raise InvalidInput("purpose is treatment or emergency") from None


@bp.get("/openapi.json")
def openapi() -> BaseResponse:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())


@bp.get("/v1/me")
@requires()
def me() -> BaseResponse:
    """Who the token (or session) belongs to."""
    return _json(current_account())


@bp.get("/v1/patients/<uuid:patient_id>/segments")
@requires()
def segments(patient_id: uuid.UUID) -> BaseResponse:
    """A page of the segments the caller may read now (decided for this very page)."""
    page, per_page = _page()
    visible = sharing.readable_segments(services(), _me(), patient_id, _purpose())
    visible.sort(key=lambda r: (r.document_id, r.id))
    chosen = visible[(page - 1) * per_page : page * per_page]
    items = [
        {"tracking_id": r.tracking_id, "kind": r.kind.value, "version": r.version, "size": r.size}
        for r in chosen
    ]
    return _json({"items": items, "page": page, "per_page": per_page, "total": len(visible)})


@bp.get("/v1/segments/<uuid:tracking_id>")
@requires()
def segment(tracking_id: uuid.UUID) -> BaseResponse:
    """One segment, read through the decision point, as title and narrative blocks."""
    svc = services()
    record = sharing.find_segment(svc, tracking_id)
    view = sharing.read_section(svc, _me(), record, _purpose()).view
    return _json(
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
    """Chart series (vital signs, pain, mood, activity) from the segments the caller may read."""
    return _json(series_json(sharing.vital_series(services(), _me(), patient_id, _purpose())))


def _stored(result: sharing.IngestResult) -> BaseResponse:
    return _json(result, 201 if result.created else 200)


@bp.get("/v1/documents")
@requires(Role.PATIENT)
def documents() -> BaseResponse:
    """A page of the patient's own stored documents, newest first, with their segments."""
    page, per_page = _page()
    stored = sharing.stored_documents(services(), _patient_id())
    items = [
        {
            "id": d.id,
            "version": d.version,
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
    return _json({"items": items, "page": page, "per_page": per_page, "total": len(stored)})


@bp.get("/v1/documents/<int:document_id>")
@requires(Role.PATIENT)
def download(document_id: int) -> BaseResponse:
    """One of the patient's own stored documents, rebuilt from its segments (application/xml)."""
    data = sharing.export_document(services(), _me(), document_id)
    return Response(data, mimetype="application/xml")


@bp.post("/v1/documents")
@requires(Role.PATIENT)
def upload() -> BaseResponse:
    """Store a C-CDA document sent as the request body (application/xml)."""
    result = sharing.ingest_document(services(), request.get_data(), _patient_id(), actor=_me().id)
    return _stored(result)


@bp.post("/v1/readings")
@requires(Role.PATIENT)
def readings() -> BaseResponse:
    """Store home readings sent as a JSON object of form fields."""
    form = {str(k): str(v) for k, v in _body().items()}
    return _stored(sharing.save_readings(services(), _me(), form))


@bp.get("/v1/grants")
@requires(Role.PATIENT)
def grants() -> BaseResponse:
    """The patient's grants with their history."""
    return _json({"items": sharing.grants_of(services(), _patient_id())})


@bp.post("/v1/grants")
@requires(Role.PATIENT)
def create_grant() -> BaseResponse:
    """Create a grant: grantee, kinds (null: blanket), except, purpose, valid_until."""
    body = _body()
    kinds = body.get("kinds")
    until = body.get("valid_until")
    try:
        grantee = uuid.UUID(str(body.get("grantee")))
        valid_until = None if until is None else datetime.fromisoformat(str(until))
    except ValueError:
        raise InvalidInput("grantee is an account id; valid_until an ISO 8601 time") from None
    if valid_until is not None and valid_until.tzinfo is None:
        valid_until = valid_until.replace(tzinfo=UTC)
    grant_id = sharing.grant_access(
        services(),
        _me(),
        grantee,
        None if kinds is None else kinds_from(kinds),
        purpose=Purpose(str(body.get("purpose", "treatment"))),
        valid_until=valid_until,
        except_kinds=kinds_from(body.get("except", [])),
    )
    return _json({"id": grant_id}, 201)


@bp.post("/v1/grants/<int:grant_id>/revoke")
@requires(Role.PATIENT)
def revoke_grant(grant_id: int) -> BaseResponse:
    """Revoke a grant."""
    sharing.revoke_grant(services(), _me(), grant_id)
    return _json({"id": grant_id, "status": "revoked"})


@bp.get("/v1/policy-preview/<uuid:grantee>")
@requires(Role.PATIENT)
def policy_preview(grantee: uuid.UUID) -> BaseResponse:
    """ "Try my policy": what that account would be let read now, segment by segment."""
    svc = services()
    rows = sharing.try_policy(svc, _me(), sharing.principal_of(svc, grantee))
    items = [
        {
            "tracking_id": r.tracking_id,
            "kind": r.kind.value,
            "permit": d.permit,
            "reason": d.reason.value,
        }
        for r, d in rows
    ]
    return _json({"items": items})


@bp.get("/v1/access-history")
@requires(Role.PATIENT)
def access_history() -> BaseResponse:
    """Every read of the patient's segments."""
    return _json({"items": sharing.access_history(services(), _me(), _patient_id())})


@bp.get("/v1/consent.fhir")
@requires(Role.PATIENT)
def fhir() -> BaseResponse:
    """The patient's consents and audit events as a FHIR R4 Bundle."""
    response = jsonify(sharing.export_fhir(services(), _me(), _patient_id()))
    response.mimetype = "application/fhir+json"
    return response


@bp.get("/v1/notifications")
@requires()
def notices() -> BaseResponse:
    """The caller's notifications (break-glass on their record)."""
    return _json({"items": sharing.notifications(services(), _me())})


@bp.get("/v1/clinic/patients")
@requires(*CLINICIANS)
def clinic_patients() -> BaseResponse:
    """Patients who share with the calling clinician."""
    return _json({"items": sharing.patients_of(services(), _me())})


@bp.post("/v1/patients/<uuid:patient_id>/notes")
@requires(*CLINICIANS)
def note(patient_id: uuid.UUID) -> BaseResponse:
    """Write a note or order ({"text", "order"}) into the patient's record."""
    body = _body()
    result = sharing.write_note(
        services(), _me(), patient_id, str(body.get("text", "")), order=bool(body.get("order"))
    )
    return _stored(result)


@bp.post("/v1/patients/<uuid:patient_id>/emergency")
@requires(*CLINICIANS)
def emergency(patient_id: uuid.UUID) -> BaseResponse:
    """Declare an emergency ({"reason"}): audited, time-boxed, notified, reviewed."""
    access = sharing.declare_emergency(
        services(), _me(), patient_id, str(_body().get("reason", ""))
    )
    return _json(access, 201)


@bp.get("/v1/releases")
@requires(Role.RESEARCHER, Role.ADMIN)
def releases() -> BaseResponse:
    """The published research releases."""
    svc = services()
    return _json({"items": catalogue(svc.public, svc.settings.s3_bucket)})


@bp.get("/v1/releases/<uuid:release_id>/records")
@requires(Role.RESEARCHER, Role.ADMIN)
def records(release_id: uuid.UUID) -> Response | BaseResponse:
    """A release's records: ``format`` json (paginated), jsonl or parquet.

    ``kind``, ``since`` (YYYY-MM-DD) and ``ages`` (40-64 or 65+) filter the records.
    """
    svc = services()
    fmt = request.args.get("format", "json")
    query = RecordQuery.from_args(request.args)
    rows = release_records(svc.public, svc.settings.s3_bucket, str(release_id), query)
    if fmt == "jsonl":
        return Response(records_to_jsonl(rows), mimetype="application/x-ndjson")
    if fmt == "parquet":
        return Response(records_to_parquet(rows), mimetype="application/vnd.apache.parquet")
    if fmt != "json":
        raise InvalidInput("format is json, jsonl or parquet")
    page, per_page = _page()
    return _json(
        {
            "items": rows[(page - 1) * per_page : page * per_page],
            "page": page,
            "per_page": per_page,
            "total": len(rows),
        }
    )


@bp.get("/v1/admin/health")
@requires(Role.ADMIN)
def admin_health() -> BaseResponse:
    """Database, Swift, S3 and key store probes."""
    checks = health(services())
    ok = all(c.ok for c in checks)
    return _json({"ok": ok, "checks": checks}, 200 if ok else 503)


@bp.get("/v1/admin/emergencies")
@requires(Role.ADMIN)
def admin_emergencies() -> BaseResponse:
    """The break-glass review queue."""
    return _json({"items": sharing.review_queue(services(), _me())})
