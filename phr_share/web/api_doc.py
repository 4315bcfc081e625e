"""What each JSON API operation takes and answers: the table the OpenAPI document is
made from, keyed by endpoint (a test keeps it and the routes the same).

A shape is a JSON schema in which a dataclass of the use cases stands for its own
schema (``phr_share.web.openapi`` describes it from its fields). Request bodies are
written out here: they say what the routes in ``web/api/`` accept, no more and no less.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from phr_share.models import MAX_ID, Mood, Outcome, Purpose, Reason, SegmentKind, Sensitivity
from phr_share.sharing import (
    HEAD_FORMAT,
    MAX_SUMMARY_DAYS,
    PROOF_FORMAT,
    SUMMARY_JSON_SCHEMA,
    AccessEvent,
    Account,
    Block,
    Break,
    CareView,
    EmergencyAccess,
    Entry,
    ErasureReport,
    GrantHistory,
    IngestResult,
    IssuedToken,
    LinkTerms,
    NewLink,
    Notice,
    PatientCard,
    ReleaseInfo,
    ReleaseReport,
    RotationReport,
    SigningKeyInfo,
    TokenInfo,
)
from phr_share.sharing.accounts import MAX_TOKEN_TTL
from phr_share.sharing.audit import AREAS
from phr_share.sharing.emergency import REVIEW_OUTCOMES
from phr_share.sharing.tree_heads import HeadInfo
from phr_share.web.admin import Check
from phr_share.web.presentation import CLINICAL_PURPOSES, MAX_LINK_HOURS, MAX_PER_PAGE, STAFF_ROLES

__all__ = ["ERROR", "OPERATIONS", "Component", "Operation"]

Shape = Any  # a JSON schema, where a dataclass stands for the schema of its fields
Answer = tuple[str, Mapping[str, Shape]]  # a description, and a shape per media type
Query = tuple[str, Shape, str]  # name, schema, description

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: its answers by status, its JSON (or other) body, its query
    parameters, and the error statuses it adds to the common ones."""

    answers: Mapping[int, Answer]
    body: tuple[str, Shape] | None = None
    query: tuple[Query, ...] = ()
    errors: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Component:
    """A shape the document describes once, under this name, and refers to elsewhere."""

    name: str
    schema: Shape


def _enum(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [str(v) for v in values]}


def _object(required: tuple[str, ...] = (), **properties: Shape) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _fields(**properties: Shape) -> dict[str, Any]:
    """An answer object whose every property is always there."""
    return _object(tuple(properties), **properties)


def _json(shape: Shape, description: str = "Success") -> Answer:
    return description, {JSON: shape}


def _items(shape: Shape) -> dict[str, Any]:
    return _fields(items={"type": "array", "items": shape})


def _whole(low: int, high: int | None = None, default: int | None = None) -> dict[str, Any]:
    """A whole number from ``low`` (to ``high``), ``default`` when absent."""
    schema: dict[str, Any] = {"type": "integer", "minimum": low}
    if high is not None:
        schema["maximum"] = high
    if default is not None:
        schema["default"] = default
    return schema


def _page(shape: Shape) -> dict[str, Any]:
    return _fields(
        items={"type": "array", "items": shape},
        page=_whole(1),
        per_page=_whole(1, MAX_PER_PAGE),
        total=_whole(0),
    )


_ERROR_BODY = _object(
    ("code", "message"),
    code={"type": "string", "description": "Stable, e.g. access-denied or invalid-input"},
    message={"type": "string"},
    reason={"allOf": [Reason], "description": "Why access was denied (access-denied only)"},
    fields={
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "What is wrong with each field (invalid-readings only)",
    },
)
ERROR = _object(("error",), error=_ERROR_BODY) | {"description": "An error with a stable code"}

UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}
TEXT = {"type": "string"}
ID = _whole(1)
KIND = SegmentKind
KINDS = {"type": "array", "items": KIND}
SHAREABLE = [k for k in SegmentKind if k is not SegmentKind.PERSONAL]
LEVEL = Sensitivity
PURPOSE = _enum(CLINICAL_PURPOSES) | {"default": Purpose.TREATMENT.value}

# -- Answers made here rather than from a dataclass --------------------------------

SEGMENT = Component(
    "Segment", _fields(tracking_id=UUID, kind=KIND, version=ID, size={"type": "integer"})
)
BLOCKS = {"type": "array", "items": Block}
_MAYBE_TEXT = {"type": ["string", "null"]}
# A de-identified record as a release publishes it (FlatRecord.as_json): typed, and
# ``date`` only in a date-shift release.
RESEARCH_RECORD = Component(
    "ResearchRecord",
    _object(
        tuple(
            name
            for name in (
                *("kind", "pseudonym", "age_band", "sex", "zip3", "year", "statement"),
                *("codes", "loinc", "snomed", "rxnorm", "value", "value_text", "unit"),
                "narrative",
            )
        ),
        kind=KIND,
        pseudonym=TEXT,
        age_band=_MAYBE_TEXT,
        sex=TEXT,
        zip3=_MAYBE_TEXT,
        year=_MAYBE_TEXT,
        date={"type": "string", "format": "date"},
        statement=TEXT,
        codes={"type": "array", "items": TEXT},
        loinc=_MAYBE_TEXT,
        snomed=_MAYBE_TEXT,
        rxnorm=_MAYBE_TEXT,
        value={"type": ["number", "null"]},
        value_text=_MAYBE_TEXT,
        unit=_MAYBE_TEXT,
        narrative=_MAYBE_TEXT,
    ),
)
SECTION = Component("Section", _fields(tracking_id=UUID, kind=KIND, title=TEXT, blocks=BLOCKS))
VERSIONED_SECTION = Component(
    "VersionedSection",
    _fields(tracking_id=UUID, kind=KIND, version=ID, title=TEXT, blocks=BLOCKS),
)
DOCUMENT = Component(
    "Document",
    _fields(
        id=ID,
        version=ID,
        current={"type": "boolean"},
        type_code={"type": ["string", "null"], "description": "The document's LOINC type"},
        stored_at=TIME,
        size={"type": "integer"},
        segments={
            "type": "array",
            "items": _fields(tracking_id=UUID, kind=KIND, size={"type": "integer"}),
        },
    ),
)
SUMMARY = Component("Summary", SUMMARY_JSON_SCHEMA)
CHARTS = Component(
    "Charts",
    _fields(
        charts={
            "type": "array",
            "items": _object(
                ("title", "unit", "lines"),
                title=TEXT,
                unit=TEXT,
                lines={
                    "type": "array",
                    "items": _fields(
                        label=TEXT,
                        code=TEXT,
                        unit=TEXT,
                        # Over a long span, one point per interval: the mean as v, with
                        # the interval's least (min) and greatest (max) value and count (n).
                        points={
                            "type": "array",
                            "items": _object(
                                ("t", "v"),
                                t=TIME,
                                v={"type": "number"},
                                min={"type": "number"},
                                max={"type": "number"},
                                n={"type": "integer"},
                            ),
                        },
                    ),
                },
                min={"type": "number"},
                max={"type": "number"},
                labels={"type": "object", "additionalProperties": TEXT},
            ),
        }
    ),
)
DECISION = Component(
    "Decision", _fields(tracking_id=UUID, kind=KIND, permit={"type": "boolean"}, reason=Reason)
)
FHIR_BUNDLE = _object(("resourceType", "type"), resourceType={"const": "Bundle"}, type=TEXT)
LEVELS = Component("Levels", _fields(**{k.value: LEVEL for k in SHAREABLE}))
RELEASED = _fields(kinds=KINDS)
HEALTH = _fields(ok={"type": "boolean"}, checks={"type": "array", "items": Check})
AUDIT_REPORT = _fields(
    ok={"type": "boolean"},
    entries=_whole(0),
    head=TEXT,
    broken={"anyOf": [Break, {"type": "null"}]},
    signed_heads=_whole(0),
    latest={"anyOf": [HeadInfo, {"type": "null"}]},
    faults={"type": "array", "items": TEXT},
)
HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}
TREE_HEAD = Component(
    "SignedTreeHead",
    _fields(
        format={"const": HEAD_FORMAT},
        size=_whole(1),
        root=HEX,
        timestamp=_whole(0),
        key_id=HEX,
        signature=TEXT,
    ),
)
PROOF = Component(
    "AuditProof",
    _fields(
        format={"const": PROOF_FORMAT},
        patient=UUID,
        public_key=TEXT,
        tree_head=TREE_HEAD,
        entries={
            "type": "array",
            "items": _fields(
                index=_whole(0), entry=TEXT, audit_path={"type": "array", "items": HEX}
            ),
        },
    ),
)
ENTRIES = _fields(
    items={"type": "array", "items": Entry},
    older={"type": ["integer", "null"], "description": "Ask for entries before this one"},
)


def _done(status: str) -> dict[str, Any]:
    return _fields(id=ID, status={"const": status})


CREATED = _fields(id=ID)

# -- Request bodies -------------------------------------------------------------------

BY_USERNAME = {"type": "string", "description": "An account's username"}
KIND_LIST = KINDS | {"description": "Segment kinds"}


def _any_of(names: tuple[str, ...], **properties: Shape) -> dict[str, Any]:
    """An object that holds at least one of the properties ``names``."""
    return _object((), **properties) | {"anyOf": [{"required": [n]} for n in names]}


def _account(field_name: str, **properties: Shape) -> dict[str, Any]:
    """A body naming an account by ``username``, or by its id under ``field_name``."""
    named = {field_name: UUID | {"description": "The account's id (or give username)"}}
    return _any_of(("username", field_name), username=BY_USERNAME, **named, **properties)


GRANT_BODY = _object(
    ("grantee",),
    grantee=UUID | {"description": "The clinician's account id"},
    kinds=KINDS
    | {"type": ["array", "null"], "description": "The kinds it opens; null or absent: blanket"},
    purpose=PURPOSE,
    valid_until=TIME | {"description": "When it ends (UTC when no offset is given)"},
    **{"except": KINDS | {"description": "Kinds a blanket grant leaves out"}},
)
READING = {"type": ["string", "number"]}
READINGS_BODY = _object(
    (),
    measured_at=READING | {"description": "ISO 8601 date and time; now when absent"},
    systolic=READING | {"description": "mm[Hg], with diastolic"},
    diastolic=READING | {"description": "mm[Hg], with systolic"},
    heart_rate=READING | {"description": "/min"},
    glucose=READING,
    glucose_unit=READING | {"description": "mg/dL (the default) or mmol/L"},
    weight=READING,
    weight_unit=READING | {"description": "kg (the default) or lb"},
    height=READING,
    height_unit=READING | {"description": "cm (the default) or in"},
    pain=READING | {"description": "A whole number, 0-10"},
    mood=READING | {"description": "One of " + ", ".join(Mood)},
    diet=READING,
    activity_minutes=READING | {"description": "A whole number of minutes"},
    activity=READING,
    family_history=READING | {"description": "One 'relation: condition' per line"},
    note=READING,
) | {
    "description": "Form fields, text or numbers, blank ones skipped; each bad one is named "
    "in the error's fields",
    "additionalProperties": READING,
}
SENSITIVITY_BODY = {
    "type": "object",
    "properties": {k.value: {"anyOf": [LEVEL, {"type": "null"}]} for k in SHAREABLE},
    "additionalProperties": False,
    "description": "A level per kind; null goes back to the kind's default",
}
STAFF_BODY = _object(
    ("username", "role"),
    username=TEXT,
    role=_enum(STAFF_ROLES),
    display_name=TEXT,
    password={"type": "string", "description": "Absent: the account signs in only by token"},
)

# -- Query parameters -----------------------------------------------------------------

PER_PAGE = _whole(1, MAX_PER_PAGE, default=20)
PAGE: tuple[Query, ...] = (
    ("page", _whole(1, MAX_ID, default=1), "Page number, from 1"),
    ("per_page", PER_PAGE, "Items per page"),
)
READ_PURPOSE: tuple[Query, ...] = (
    ("purpose", PURPOSE, "Why the record is read: the decision point checks it"),
)

SUMMARY_QUERY: tuple[Query, ...] = (
    ("days", _whole(1, MAX_SUMMARY_DAYS, default=14), "The window: the last N days"),
    ("time_zone", {"type": "string", "default": "UTC"}, "IANA time zone of days and times"),
)


CHART_QUERY: tuple[Query, ...] = (
    ("days", _whole(1, MAX_SUMMARY_DAYS), "The span: the last N days (every reading if absent)"),
    ("time_zone", {"type": "string", "default": "UTC"}, "IANA time zone of the times"),
)


def _or_blank(schema: Shape) -> dict[str, Any]:
    """A filter a form may send blank (or only spaces), meaning any."""
    return {"anyOf": [schema, {"type": "string", "pattern": r"^\s*$"}]}


RECORD_QUERY: tuple[Query, ...] = (
    (
        "format",
        _enum(("json", "jsonl", "parquet")) | {"default": "json"},
        "json is paginated; jsonl and parquet return every matching record",
    ),
    ("kind", _or_blank(KIND), "Only this segment kind (blank: any)"),
    (
        "since",
        _or_blank({"type": "string", "format": "date"}),
        "Only records dated on or after this day (blank: any)",
    ),
    (
        "ages",
        {"type": "string", "pattern": r"^\s*([0-9]{1,3}\s*(\+|-\s*[0-9]{1,3}))?\s*$"},
        "Only records whose whole age band lies in this range: 40-64, or 65+ (blank: any)",
    ),
    *PAGE,
)
AUDIT_QUERY: tuple[Query, ...] = (
    ("outcome", _or_blank(Outcome), "Only this outcome (blank: any)"),
    ("area", _or_blank(_enum(AREAS)), "Only actions of this area (blank: any)"),
    (
        "before",
        _or_blank(_whole(1, MAX_ID)),
        "Entries before this sequence number, to page back (blank: the newest)",
    ),
    ("per_page", PER_PAGE, "Entries at most"),
)

STORED = {
    200: _json(IngestResult, "Already stored: nothing was written"),
    201: _json(IngestResult, "Stored"),
}

OPERATIONS: dict[str, Operation] = {
    "api.openapi": Operation({200: _json({"type": "object"}, "This document")}),
    "api.account.me": Operation({200: _json(Account, "The caller's account")}),
    "api.records.segments": Operation({200: _json(_page(SEGMENT))}, query=(*PAGE, *READ_PURPOSE)),
    "api.records.segment": Operation(
        {200: _json(VERSIONED_SECTION)}, query=READ_PURPOSE, errors=(410,)
    ),
    "api.records.vitals": Operation(
        {200: _json(CHARTS)}, query=(*CHART_QUERY, *READ_PURPOSE), errors=(410,)
    ),
    "api.records.summary": Operation(
        {200: _json(SUMMARY)}, query=(*SUMMARY_QUERY, *READ_PURPOSE), errors=(410,)
    ),
    "api.records.documents": Operation({200: _json(_page(DOCUMENT))}, query=PAGE),
    "api.records.download": Operation(
        {200: ("The CDA document", {"application/xml": TEXT})}, errors=(410,)
    ),
    "api.records.upload": Operation(
        STORED,
        body=("application/xml", {"type": "string", "format": "binary", "description": "C-CDA"}),
    ),
    "api.records.readings": Operation(STORED, body=(JSON, READINGS_BODY)),
    "api.patient.grants": Operation({200: _json(_items(GrantHistory))}),
    "api.patient.create_grant": Operation(
        {201: _json(CREATED, "The new grant")}, body=(JSON, GRANT_BODY)
    ),
    "api.patient.revoke_grant": Operation({200: _json(_done("revoked"))}),
    "api.patient.policy_preview": Operation({200: _json(_items(DECISION))}),
    "api.patient.access_history": Operation({200: _json(_items(AccessEvent))}),
    "api.patient.access_proof": Operation(
        {200: _json(PROOF, "Entries with their proofs, under a signed head")}
    ),
    "api.patient.fhir": Operation(
        {200: ("A FHIR R4 Bundle", {"application/fhir+json": FHIR_BUNDLE})}
    ),
    "api.account.notices": Operation({200: _json(_items(Notice))}),
    "api.clinic.clinic_patients": Operation({200: _json(_items(PatientCard))}),
    "api.clinic.note": Operation(
        STORED,
        body=(JSON, _object(("text",), text=TEXT, order={"type": "boolean", "default": False})),
    ),
    "api.clinic.emergency": Operation(
        {201: _json(EmergencyAccess, "Declared")},
        body=(JSON, _object(("reason",), reason=TEXT)),
    ),
    "api.research.releases": Operation({200: _json(_items(ReleaseInfo))}),
    "api.research.records": Operation(
        {
            200: (
                "The records: a page of them as JSON, or all of them as a file",
                {
                    JSON: _page(RESEARCH_RECORD),
                    "application/x-ndjson": TEXT,
                    "application/vnd.apache.parquet": {"type": "string", "format": "binary"},
                },
            )
        },
        query=RECORD_QUERY,
    ),
    "api.care.care": Operation({200: _json(_items(CareView))}),
    "api.care.open_care": Operation(
        {201: _json(CREATED, "Asked: the other side accepts")},
        body=(
            JSON,
            _any_of(
                ("username", "clinician", "patient_id"),
                username=BY_USERNAME,
                clinician=UUID | {"description": "A patient invites this clinician"},
                patient_id=UUID | {"description": "A clinician asks to join this patient"},
            ),
        ),
    ),
    "api.care.accept_care": Operation({200: _json(_done("active"))}),
    "api.care.end_care": Operation({200: _json(_done("ended"))}),
    "api.care.ask_partner": Operation(
        {201: _json(_done("pending"), "Asked: the patient approves")},
        body=(JSON, _account("partner", kinds=KIND_LIST)),
    ),
    "api.care.answer_delegation": Operation(
        {200: _json(_fields(id=ID, approved={"type": "boolean"}))},
        body=(JSON, _object(("approve",), approve={"type": "boolean"})),
    ),
    "api.patient.links": Operation({200: _json(_items(LinkTerms))}),
    "api.patient.create_link": Operation(
        {201: _json(NewLink, "The link: its token is shown only here")},
        body=(
            JSON,
            _account(
                "doctor",
                kinds=KIND_LIST,
                hours=_whole(1, MAX_LINK_HOURS, default=48),
            ),
        ),
    ),
    "api.patient.revoke_link": Operation({200: _json(_done("revoked"))}),
    "api.clinic.open_link": Operation(
        {200: _json(_items(SECTION), "The sections it shares, read and audited")},
        body=(JSON, _object(("token",), token=TEXT)),
        errors=(410,),
    ),
    "api.patient.sensitivity": Operation({200: _json(LEVELS)}),
    "api.patient.set_sensitivity": Operation(
        {200: _json(LEVELS, "Every kind's level now")}, body=(JSON, SENSITIVITY_BODY)
    ),
    "api.patient.research_choice": Operation({200: _json(RELEASED)}),
    "api.patient.set_research_choice": Operation(
        {200: _json(RELEASED, "The kinds released now")},
        body=(JSON, _object((), kinds=KIND_LIST)),
    ),
    "api.patient.research_preview": Operation({200: _json(_items(RESEARCH_RECORD))}, errors=(410,)),
    "api.patient.erase": Operation(
        {200: _json(ErasureReport, "Erased")},
        body=(JSON, _object(("confirm",), confirm={"const": "ERASE"})),
    ),
    "api.account.change_password": Operation(
        {200: _json(_fields(changed={"const": True}, sessions_ended=_whole(0)))},
        body=(JSON, _object(("current", "new"), current=TEXT, new=TEXT)),
        errors=(429,),
    ),
    "api.account.tokens": Operation({200: _json(_items(TokenInfo))}),
    "api.account.issue_token": Operation(
        {201: _json(IssuedToken, "The token: shown only here")},
        body=(
            JSON,
            _object(
                ("name",),
                name={"type": "string", "minLength": 1, "maxLength": 64},
                days=_whole(1, MAX_TOKEN_TTL.days, default=90),
            ),
        ),
    ),
    "api.account.revoke_token": Operation({200: _json(_done("revoked"))}),
    "api.admin.admin_health": Operation(
        {200: _json(HEALTH, "Everything answers"), 503: _json(HEALTH, "Something does not")}
    ),
    "api.admin.admin_emergencies": Operation({200: _json(_items(EmergencyAccess))}),
    "api.admin.review_emergency": Operation(
        {200: _json(_fields(id=ID, outcome=_enum(sorted(REVIEW_OUTCOMES))))},
        body=(JSON, _object(("outcome",), outcome=_enum(sorted(REVIEW_OUTCOMES)))),
    ),
    "api.admin.rotate_keys": Operation({200: _json(RotationReport)}),
    "api.admin.run_release": Operation(
        {
            200: _json(ReleaseReport, "Nothing new to release"),
            201: _json(ReleaseReport, "Published"),
        }
    ),
    "api.admin.verify_audit": Operation({200: _json(AUDIT_REPORT)}),
    "api.admin.sign_tree_head": Operation(
        {200: _json(_fields(head={"anyOf": [HeadInfo, {"type": "null"}]}))}
    ),
    "api.admin.audit_key": Operation({200: _json(SigningKeyInfo)}),
    "api.admin.audit_log": Operation({200: _json(ENTRIES)}, query=AUDIT_QUERY),
    "api.admin.staff": Operation({200: _json(_items(Account))}),
    "api.admin.create_staff": Operation({201: _json(Account, "Created")}, body=(JSON, STAFF_BODY)),
    "api.admin.disable_staff": Operation({200: _json(_fields(id=UUID, active={"const": False}))}),
}
