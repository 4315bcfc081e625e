"""The patient's settings over the API: grants, history, sensitivity, research, links, erasure."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import parse_choice
from phr_share.errors import InvalidInput
from phr_share.models import Role, SegmentKind, Sensitivity
from phr_share.web import fields
from phr_share.web.api.base import (
    account_in,
    answer,
    caller,
    caller_patient,
)
from phr_share.web.presentation import (
    CLINICAL_PURPOSES,
    MAX_LINK_HOURS,
    kinds_from,
    released_from,
)
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("patient", __name__)
# The kinds a patient sets levels for: all but the header, which is never shared.
_SHAREABLE = tuple(k for k in SegmentKind if k is not SegmentKind.PERSONAL)


@bp.get("/v1/grants")
@requires(Role.PATIENT)
def grants() -> BaseResponse:
    """The patient's grants with their history."""
    return answer({"items": sharing.grants_of(services(), caller(), caller_patient())})


@bp.post("/v1/grants")
@requires(Role.PATIENT)
def create_grant() -> BaseResponse:
    """Create a grant: grantee, kinds (null: blanket), except, purpose, valid_until."""
    body = fields.body()
    kinds = body.get("kinds")
    grant_id = sharing.grant_access(
        services(),
        caller(),
        fields.uuid_of(body, "grantee"),
        None if kinds is None else kinds_from(kinds),
        purpose=parse_choice(CLINICAL_PURPOSES, body.get("purpose", "treatment"), "purpose"),
        valid_until=fields.time_of(body, "valid_until"),
        except_kinds=kinds_from(body.get("except", []), "except"),
    )
    return answer({"id": grant_id}, 201)


@bp.post("/v1/grants/<id:grant_id>/revoke")
@requires(Role.PATIENT)
def revoke_grant(grant_id: int) -> BaseResponse:
    """Revoke a grant."""
    sharing.revoke_grant(services(), caller(), grant_id)
    return answer({"id": grant_id, "status": "revoked"})


@bp.get("/v1/policy-preview/<uuid:grantee>")
@requires(Role.PATIENT)
def policy_preview(grantee: uuid.UUID) -> BaseResponse:
    """ "Try my policy": what that account would be let read now, segment by segment."""
    svc = services()
    me = caller()
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
    return answer({"items": items})


@bp.get("/v1/access-history")
@requires(Role.PATIENT)
def access_history() -> BaseResponse:
    """Every read of the patient's segments."""
    return answer({"items": sharing.access_history(services(), caller(), caller_patient())})


@bp.get("/v1/access-history/proof")
@requires(Role.PATIENT)
def access_proof() -> BaseResponse:
    """The patient's audit log entries with inclusion proofs under a signed tree head."""
    return answer(sharing.audit_proof(services(), caller(), caller_patient()))


@bp.get("/v1/consent.fhir")
@requires(Role.PATIENT)
def fhir() -> BaseResponse:
    """The patient's consents and audit events as a FHIR R4 Bundle."""
    response = jsonify(sharing.export_fhir(services(), caller(), caller_patient()))
    response.mimetype = "application/fhir+json"
    return response


@bp.get("/v1/links")
@requires(Role.PATIENT)
def links() -> BaseResponse:
    """The patient's one-visit links (their terms; tokens are never kept)."""
    return answer({"items": sharing.links_of(services(), caller())})


@bp.post("/v1/links")
@requires(Role.PATIENT)
def create_link() -> BaseResponse:
    """A one-visit link for a named doctor ({"username"} or {"doctor"}, "kinds", "hours"
    (48 by default)); the token is in this answer only."""
    body = fields.body()
    hours = fields.number(body, "hours", 48, MAX_LINK_HOURS)
    link = sharing.create_share_link(
        services(),
        caller(),
        account_in(body, "doctor"),
        kinds_from(body.get("kinds", [])),
        ttl=timedelta(hours=hours),
    )
    return answer(link, 201)


@bp.post("/v1/links/<id:link_id>/revoke")
@requires(Role.PATIENT)
def revoke_link(link_id: int) -> BaseResponse:
    """Revoke a link before it is used."""
    sharing.revoke_share_link(services(), caller(), link_id)
    return answer({"id": link_id, "status": "revoked"})


@bp.get("/v1/sensitivity")
@requires(Role.PATIENT)
def sensitivity() -> BaseResponse:
    """The patient's level for every kind (normal, restricted, very-restricted)."""
    levels = sharing.sensitivity_levels(services(), caller())
    return answer({k.value: level.value for k, level in levels.items() if k in _SHAREABLE})


@bp.put("/v1/sensitivity")
@requires(Role.PATIENT)
def set_sensitivity() -> BaseResponse:
    """Set levels: {"kind": "normal" | "restricted" | "very-restricted" | null (default)}."""
    changes: dict[SegmentKind, Sensitivity | None] = {}
    for name, value in fields.body().items():
        kind = parse_choice(_SHAREABLE, name, "a key")
        changes[kind] = None if value is None else parse_choice(Sensitivity, value, name)
    sharing.choose_sensitivity(services(), caller(), changes)
    return sensitivity()


@bp.get("/v1/research")
@requires(Role.PATIENT)
def research_choice() -> BaseResponse:
    """The kinds the patient releases for research."""
    return answer(
        {
            "kinds": sorted(
                k.value for k in sharing.released_kinds(services(), caller(), caller_patient())
            )
        }
    )


@bp.put("/v1/research")
@requires(Role.PATIENT)
def set_research_choice() -> BaseResponse:
    """Release exactly these kinds ({"kinds": [...]}); the rest are withdrawn from the
    next release on."""
    svc = services()
    chosen = released_from(svc, fields.body().get("kinds", []), "kinds")
    sharing.choose_released_kinds(svc, caller(), caller_patient(), chosen)
    return research_choice()


@bp.get("/v1/research/preview")
@requires(Role.PATIENT)
def research_preview() -> BaseResponse:
    """What research would get from the released kinds now: the de-identified records."""
    records = sharing.research_preview(services(), caller())
    return answer({"items": [r.as_json() for r in records]})


@bp.post("/v1/erase")
@requires(Role.PATIENT)
def erase() -> BaseResponse:
    """Erase everything ({"confirm": "ERASE"}): keys shredded, container deleted."""
    if fields.body().get("confirm") != "ERASE":
        raise InvalidInput('erasure needs {"confirm": "ERASE"}')
    return answer(sharing.erase_patient(services(), caller(), caller_patient()))
