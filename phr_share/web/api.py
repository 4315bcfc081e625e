"""The JSON API: the same use cases as the pages, for programs (bearer API tokens).

Errors are ``{"error": {"code", "message", ...}}`` with the status of the error table;
listings are paginated and every page is decided afresh by the decision point.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import parse_choice, time_zone
from phr_share.consent import CLINICIANS, Facts, Principal, Purpose, Role, Sensitivity
from phr_share.errors import InvalidInput, NotFound
from phr_share.models import MAX_ID, SegmentKind
from phr_share.research import (
    RecordQuery,
    catalogue,
    records_to_jsonl,
    records_to_parquet,
    release_records,
)
from phr_share.series.summary import MAX_DAYS as MAX_SUMMARY_DAYS
from phr_share.series.summary import summary_json
from phr_share.sharing.accounts import MAX_TOKEN_TTL
from phr_share.sharing.emergency import REVIEW_OUTCOMES
from phr_share.web import fields
from phr_share.web.admin import health
from phr_share.web.openapi import document
from phr_share.web.security import client_address, current_account, requires, services
from phr_share.web.views import (
    CLINICAL_PURPOSES,
    MAX_LINK_HOURS,
    MAX_PER_PAGE,
    audit_filters,
    chart_json,
    kinds_from,
    released_from,
    staff_role,
    whole_number,
)

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api")
# The kinds a patient sets levels for: all but the header, which is never shared.
_SHAREABLE = tuple(k for k in SegmentKind if k is not SegmentKind.PERSONAL)


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


def _page() -> tuple[int, int]:
    page = whole_number(request.args.get("page", "1"), "page", 1, MAX_ID)
    per_page = whole_number(request.args.get("per_page", "20"), "per_page", 1, MAX_PER_PAGE)
    return page, per_page


def _purpose() -> Purpose:
    return parse_choice(CLINICAL_PURPOSES, request.args.get("purpose", "treatment"), "purpose")


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
    record = sharing.find_segment(svc, _me(), tracking_id)
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
    """Chart series (vital signs, glucose, pain, mood, activity) from the series of the
    kinds the caller may read: the last ``days`` days (every reading when not given); a
    long span comes binned, its points the intervals' means, and a short one (a day of
    sensor glucose) at full resolution."""
    given = request.args.get("days", "").strip()
    days = whole_number(given, "days", 1, MAX_SUMMARY_DAYS) if given else None
    zone = time_zone(request.args.get("time_zone", "UTC"))
    found = sharing.dashboard_of(
        services(), _me(), patient_id, chart_days=days, zone=zone, purpose=_purpose()
    )
    return _json(chart_json(found.chart))


@bp.get("/v1/patients/<uuid:patient_id>/summary")
@requires()
def summary(patient_id: uuid.UUID) -> BaseResponse:
    """The chronic-care summary of the last ``days`` days (14 by default), in ``time_zone``,
    from the kinds the caller may read."""
    days = whole_number(request.args.get("days", "14"), "days", 1, MAX_SUMMARY_DAYS)
    zone = time_zone(request.args.get("time_zone", "UTC"))
    found = sharing.summary_of(
        services(), _me(), patient_id, days=days, zone=zone, purpose=_purpose()
    )
    return _json(summary_json(found))


def _stored(result: sharing.IngestResult) -> BaseResponse:
    return _json(result, 201 if result.created else 200)


@bp.get("/v1/documents")
@requires(Role.PATIENT)
def documents() -> BaseResponse:
    """A page of the patient's own stored documents (every version; ``current`` marks the
    latest of each), newest first, with their segments."""
    page, per_page = _page()
    stored = sharing.stored_documents(services(), _me(), _patient_id())
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
    return _json({"items": items, "page": page, "per_page": per_page, "total": len(stored)})


@bp.get("/v1/documents/<id:document_id>")
@requires(Role.PATIENT)
def download(document_id: int) -> BaseResponse:
    """One of the patient's own stored documents, rebuilt from its segments (application/xml)."""
    data = sharing.export_document(services(), _me(), document_id)
    return Response(data, mimetype="application/xml")


@bp.post("/v1/documents")
@requires(Role.PATIENT)
def upload() -> BaseResponse:
    """Store a C-CDA document sent as the request body (application/xml)."""
    result = sharing.ingest_document(services(), _me(), request.get_data(), _patient_id())
    return _stored(result)


@bp.post("/v1/readings")
@requires(Role.PATIENT)
def readings() -> BaseResponse:
    """Store home readings sent as a JSON object of form fields (text or numbers)."""
    form = {}
    for name, value in fields.body().items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(f"{name} is text or a number")
        form[name] = str(value)
    return _stored(sharing.save_readings(services(), _me(), form))


@bp.get("/v1/grants")
@requires(Role.PATIENT)
def grants() -> BaseResponse:
    """The patient's grants with their history."""
    return _json({"items": sharing.grants_of(services(), _me(), _patient_id())})


@bp.post("/v1/grants")
@requires(Role.PATIENT)
def create_grant() -> BaseResponse:
    """Create a grant: grantee, kinds (null: blanket), except, purpose, valid_until."""
    body = fields.body()
    kinds = body.get("kinds")
    grant_id = sharing.grant_access(
        services(),
        _me(),
        fields.uuid_of(body, "grantee"),
        None if kinds is None else kinds_from(kinds),
        purpose=parse_choice(CLINICAL_PURPOSES, body.get("purpose", "treatment"), "purpose"),
        valid_until=fields.time_of(body, "valid_until"),
        except_kinds=kinds_from(body.get("except", []), "except"),
    )
    return _json({"id": grant_id}, 201)


@bp.post("/v1/grants/<id:grant_id>/revoke")
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
    me = _me()
    rows = sharing.try_policy(svc, me, sharing.principal_of(svc, me, grantee))
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


@bp.get("/v1/access-history/proof")
@requires(Role.PATIENT)
def access_proof() -> BaseResponse:
    """The patient's audit log entries with inclusion proofs under a signed tree head."""
    return _json(sharing.audit_proof(services(), _me(), _patient_id()))


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
    body = fields.body()
    result = sharing.write_note(
        services(), _me(), patient_id, fields.text(body, "text"), order=fields.flag(body, "order")
    )
    return _stored(result)


@bp.post("/v1/patients/<uuid:patient_id>/emergency")
@requires(*CLINICIANS)
def emergency(patient_id: uuid.UUID) -> BaseResponse:
    """Declare an emergency ({"reason"}): audited, time-boxed, notified, reviewed."""
    access = sharing.declare_emergency(
        services(), _me(), patient_id, fields.text(fields.body(), "reason")
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
    fmt = parse_choice(("json", "jsonl", "parquet"), request.args.get("format", "json"), "format")
    query = RecordQuery.from_args(request.args)
    page, per_page = _page()
    rows = release_records(svc.public, svc.settings.s3_bucket, str(release_id), query)
    if fmt == "jsonl":
        return Response(records_to_jsonl(rows), mimetype="application/x-ndjson")
    if fmt == "parquet":
        return Response(records_to_parquet(rows), mimetype="application/vnd.apache.parquet")
    return _json(
        {
            "items": rows[(page - 1) * per_page : page * per_page],
            "page": page,
            "per_page": per_page,
            "total": len(rows),
        }
    )


def _account_in(body: dict[str, Any], field: str) -> uuid.UUID:
    """An account named in a body by ``username``, or by its id under ``field``."""
    svc = services()
    try:
        if "username" in body:
            return sharing.find_account(svc, _me(), username=fields.text(body, "username")).id
        return sharing.find_account(svc, _me(), user_id=fields.uuid_of(body, field)).id
    except NotFound:
        raise InvalidInput(
            f"no such account: give a username or an account id as {field}"
        ) from None


# -- Care relationships, delegation, one-visit links -------------------------------


@bp.get("/v1/care")
@requires(Role.PATIENT, *CLINICIANS)
def care() -> BaseResponse:
    """The caller's open care relationships (a patient's clinicians, a clinician's patients)."""
    return _json({"items": sharing.care_of(services(), _me())})


@bp.post("/v1/care")
@requires(Role.PATIENT, *CLINICIANS)
def open_care() -> BaseResponse:
    """A patient invites a clinician ({"username"} or {"clinician"}); a clinician asks to
    care for a patient ({"patient_id"}). The other side accepts."""
    body, me = fields.body(), _me()
    if me.role is Role.PATIENT:
        relationship = sharing.invite_clinician(services(), me, _account_in(body, "clinician"))
    else:
        patient_id = fields.uuid_of(body, "patient_id")
        relationship = sharing.request_care(services(), me, patient_id)
    return _json({"id": relationship}, 201)


@bp.post("/v1/care/<id:relationship>/accept")
@requires(Role.PATIENT, *CLINICIANS)
def accept_care(relationship: int) -> BaseResponse:
    """Accept an invitation (clinician) or a request (patient)."""
    sharing.accept_care(services(), _me(), relationship)
    return _json({"id": relationship, "status": "active"})


@bp.post("/v1/care/<id:relationship>/end")
@requires(Role.PATIENT, *CLINICIANS)
def end_care(relationship: int) -> BaseResponse:
    """End a care relationship; the clinician's grants on the patient are revoked."""
    sharing.end_care(services(), _me(), relationship)
    return _json({"id": relationship, "status": "ended"})


@bp.post("/v1/patients/<uuid:patient_id>/partners")
@requires(*CLINICIANS)
def ask_partner(patient_id: uuid.UUID) -> BaseResponse:
    """Ask a partner clinician in ({"username"} or {"partner"}, "kinds"): pending until the
    patient approves."""
    body = fields.body()
    grant_id = sharing.ask_partner(
        services(),
        _me(),
        _account_in(body, "partner"),
        patient_id,
        kinds_from(body.get("kinds", [])),
    )
    return _json({"id": grant_id, "status": "pending"}, 201)


@bp.post("/v1/delegations/<id:grant_id>")
@requires(Role.PATIENT)
def answer_delegation(grant_id: int) -> BaseResponse:
    """Approve ({"approve": true}) or refuse a clinician's request to bring a partner in."""
    approve = fields.flag(fields.body(), "approve", None)
    sharing.answer_delegation(services(), _me(), grant_id, approve)
    return _json({"id": grant_id, "approved": approve})


@bp.get("/v1/links")
@requires(Role.PATIENT)
def links() -> BaseResponse:
    """The patient's one-visit links (their terms; tokens are never kept)."""
    return _json({"items": sharing.links_of(services(), _me())})


@bp.post("/v1/links")
@requires(Role.PATIENT)
def create_link() -> BaseResponse:
    """A one-visit link for a named doctor ({"username"} or {"doctor"}, "kinds", "hours"
    (48 by default)); the token is in this answer only."""
    body = fields.body()
    hours = fields.number(body, "hours", 48, MAX_LINK_HOURS)
    link = sharing.create_share_link(
        services(),
        _me(),
        _account_in(body, "doctor"),
        kinds_from(body.get("kinds", [])),
        ttl=timedelta(hours=hours),
    )
    return _json(link, 201)


@bp.post("/v1/links/<id:link_id>/revoke")
@requires(Role.PATIENT)
def revoke_link(link_id: int) -> BaseResponse:
    """Revoke a link before it is used."""
    sharing.revoke_share_link(services(), _me(), link_id)
    return _json({"id": link_id, "status": "revoked"})


@bp.post("/v1/links/open")
@requires(*CLINICIANS)
def open_link() -> BaseResponse:
    """Use a one-visit link ({"token"}) once: the sections it shares, read and audited."""
    token = fields.text(fields.body(), "token").strip()
    visit = sharing.open_shared_sections(services(), _me(), token)
    items = [
        {
            "tracking_id": s.record.tracking_id,
            "kind": s.record.kind.value,
            "title": s.view.title,
            "blocks": s.view.blocks,
        }
        for s in visit.sections
    ]
    return _json({"items": items})


# -- The patient's own settings: sensitivity, research release, erasure ------------


@bp.get("/v1/sensitivity")
@requires(Role.PATIENT)
def sensitivity() -> BaseResponse:
    """The patient's level for every kind (normal, restricted, very-restricted)."""
    return _json({kind.value: level.value for kind, level in _levels().items()})


def _levels() -> dict[SegmentKind, Sensitivity]:
    """Every kind's level for the calling patient: their own, else the default."""
    patient_id = _patient_id()
    facts = Facts(patient_id, overrides=sharing.sensitivity_of(services(), _me()))
    return {kind: facts.sensitivity(kind) for kind in _SHAREABLE}


@bp.put("/v1/sensitivity")
@requires(Role.PATIENT)
def set_sensitivity() -> BaseResponse:
    """Set levels: {"kind": "normal" | "restricted" | "very-restricted" | null (default)}."""
    svc, me = services(), _me()
    changes = {}
    for name, value in fields.body().items():
        kind = parse_choice(_SHAREABLE, name, "a key")
        changes[kind] = None if value is None else parse_choice(Sensitivity, value, name)
    defaults = Facts(_patient_id())
    for kind, level in changes.items():
        # A level equal to the kind's default is no override: nothing to keep.
        own = None if level == defaults.sensitivity(kind) else level
        sharing.set_sensitivity(svc, me, kind, own)
    return sensitivity()


@bp.get("/v1/research")
@requires(Role.PATIENT)
def research_choice() -> BaseResponse:
    """The kinds the patient releases for research."""
    return _json(
        {"kinds": sorted(k.value for k in sharing.released_kinds(services(), _me(), _patient_id()))}
    )


@bp.put("/v1/research")
@requires(Role.PATIENT)
def set_research_choice() -> BaseResponse:
    """Release exactly these kinds ({"kinds": [...]}); the rest are withdrawn from the
    next release on."""
    svc, me, patient_id = services(), _me(), _patient_id()
    chosen = released_from(svc, fields.body().get("kinds", []), "kinds")
    current = sharing.released_kinds(svc, me, patient_id)
    sharing.choose_release(svc, me, patient_id, release=chosen - current, withdraw=current - chosen)
    return research_choice()


@bp.get("/v1/research/preview")
@requires(Role.PATIENT)
def research_preview() -> BaseResponse:
    """What research would get from the released kinds now: the de-identified records."""
    records = sharing.research_preview(services(), _me())
    return _json({"items": [r.as_json() for r in records]})


@bp.post("/v1/erase")
@requires(Role.PATIENT)
def erase() -> BaseResponse:
    """Erase everything ({"confirm": "ERASE"}): keys shredded, container deleted."""
    if fields.body().get("confirm") != "ERASE":
        raise InvalidInput('erasure needs {"confirm": "ERASE"}')
    return _json(sharing.erase_patient(services(), _me(), _patient_id()))


@bp.post("/v1/me/password")
@requires()
def change_password() -> BaseResponse:
    """Change the caller's password ({"current", "new"}); every web session is signed out
    (tokens keep working)."""
    body = fields.body()
    ended = sharing.change_password(
        services(),
        _me(),
        fields.text(body, "current"),
        fields.text(body, "new"),
        address=client_address(),
    )
    return _json({"changed": True, "sessions_ended": ended})


# -- API tokens -----------------------------------------------------------------------


@bp.get("/v1/tokens")
@requires()
def tokens() -> BaseResponse:
    """The caller's API tokens (never the secrets)."""
    return _json({"items": sharing.tokens_of(services(), _me())})


@bp.post("/v1/tokens")
@requires()
def issue_token() -> BaseResponse:
    """A new token for the caller ({"name", "days"} (90 by default)); shown only here."""
    body = fields.body()
    days = fields.number(body, "days", 90, MAX_TOKEN_TTL.days)
    issued = sharing.issue_token(
        services(), _me(), fields.text(body, "name"), ttl=timedelta(days=days)
    )
    return _json(issued, 201)


@bp.post("/v1/tokens/<id:token_id>/revoke")
@requires()
def revoke_token(token_id: int) -> BaseResponse:
    """Revoke a token: one of the caller's own, or (an admin) anyone's."""
    sharing.revoke_token(services(), _me(), token_id)
    return _json({"id": token_id, "status": "revoked"})


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


@bp.post("/v1/admin/emergencies/<id:emergency_id>/review")
@requires(Role.ADMIN)
def review_emergency(emergency_id: int) -> BaseResponse:
    """Record a break-glass review ({"outcome": "justified" | "unjustified"})."""
    outcome = parse_choice(sorted(REVIEW_OUTCOMES), fields.body().get("outcome"), "outcome")
    sharing.review_emergency(services(), _me(), emergency_id, outcome)
    return _json({"id": emergency_id, "outcome": outcome})


@bp.post("/v1/admin/keys/rotate")
@requires(Role.ADMIN)
def rotate_keys() -> BaseResponse:
    """A new master key version; every live patient key re-wrapped under it."""
    return _json(sharing.rotate_master(services(), _me()))


@bp.post("/v1/admin/release")
@requires(Role.ADMIN)
def run_release() -> BaseResponse:
    """Run a research release now: de-identify, gate on k, publish (or write nothing)."""
    report = sharing.run_release(services(), _me())
    return _json(report, 201 if report.release_id is not None else 200)


@bp.get("/v1/admin/audit")
@requires(Role.ADMIN)
def verify_audit() -> BaseResponse:
    """Verify the audit log against its chain and every signed tree head: the first entry
    affected (or null), the heads that hold, and any untrusted head."""
    report = sharing.verify_audit(services(), _me())
    return _json({"ok": report.ok, **_plain(report)})


@bp.post("/v1/admin/audit/sign")
@requires(Role.ADMIN)
def sign_tree_head() -> BaseResponse:
    """Sign a tree head of the audit log now if entries came since the last: the newest."""
    return _json({"head": sharing.sign_tree_head(services(), _me())})


@bp.get("/v1/admin/audit/key")
@requires(Role.ADMIN)
def audit_key() -> BaseResponse:
    """The audit log's public signing key (base64), its fingerprint, the latest head."""
    return _json(sharing.audit_key(services(), _me()))


@bp.get("/v1/admin/audit/entries")
@requires(Role.ADMIN)
def audit_log() -> BaseResponse:
    """The newest audit entries (``outcome``, ``area``, ``before`` a sequence number)."""
    outcome, area, before = audit_filters(request.args)
    page = _page()[1]
    entries = sharing.latest_entries(
        services(), _me(), limit=page, before=before, outcome=outcome, area=area
    )
    return _json({"items": entries, "older": entries[-1].seq if len(entries) == page else None})


@bp.get("/v1/admin/accounts")
@requires(Role.ADMIN)
def staff() -> BaseResponse:
    """Every staff account (clinicians, researchers, admins)."""
    return _json({"items": sharing.staff_accounts(services(), _me())})


@bp.post("/v1/admin/accounts")
@requires(Role.ADMIN)
def create_staff() -> BaseResponse:
    """A staff account ({"username", "role", "display_name", "password"})."""
    body = fields.body()
    account = sharing.create_user(
        services(),
        _me(),
        fields.text(body, "username"),
        staff_role(body.get("role")),
        display_name=fields.text(body, "display_name").strip()[:128],
        password=fields.text(body, "password") or None,
    )
    return _json(account, 201)


@bp.post("/v1/admin/accounts/<uuid:user_id>/disable")
@requires(Role.ADMIN)
def disable_staff(user_id: uuid.UUID) -> BaseResponse:
    """Switch an account off: no login, no token, no session, every decision denied."""
    sharing.disable_user(services(), _me(), user_id)
    return _json({"id": user_id, "active": False})
