"""The OpenAPI 3.1 document of the JSON API, generated from the routes themselves.

Each operation's summary is its view's docstring, so the document cannot drift from
the code; the error shape and the bearer scheme are declared once.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from phr_share import __version__
from phr_share.models import MAX_ID

__all__ = ["document"]

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_TYPES = {
    "uuid": {"type": "string", "format": "uuid"},
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
_PAGE = [
    ("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1"),
    ("per_page", {"type": "integer", "minimum": 1, "default": 20}, "Items per page"),
]
_PURPOSE = [
    (
        "purpose",
        {"type": "string", "enum": ["treatment", "emergency"], "default": "treatment"},
        "Why the record is read: the decision point checks it",
    )
]
# The query parameters each operation reads, beside those in its path.
_QUERY: dict[str, list[tuple[str, dict[str, Any], str]]] = {
    "api.segments": [*_PAGE, *_PURPOSE],
    "api.segment": _PURPOSE,
    "api.vitals": _PURPOSE,
    "api.documents": _PAGE,
    "api.audit_log": [
        ("outcome", {"type": "string", "enum": ["ok", "denied", "failed"]}, "Only this outcome"),
        ("area", {"type": "string"}, "Only actions of this area, e.g. consent or emergency"),
        ("before", {"type": "integer"}, "Entries before this sequence number (older)"),
        ("per_page", {"type": "integer", "minimum": 1, "default": 20}, "Entries at most"),
    ],
    "api.records": [
        (
            "format",
            {"type": "string", "enum": ["json", "jsonl", "parquet"], "default": "json"},
            "json is paginated; jsonl and parquet return every matching record",
        ),
        ("kind", {"type": "string"}, "Only this segment kind, e.g. physical-signs"),
        ("since", {"type": "string", "format": "date"}, "Only records dated on or after"),
        (
            "ages",
            {"type": "string", "pattern": r"^[0-9]{1,3}(-[0-9]{1,3}|\+)$"},
            "Only records whose whole age band lies in this range: 40-64, or 65+",
        ),
        *_PAGE,
    ],
}
# Actions named by their path alone: they take no request body.
_NO_BODY = frozenset(
    {
        "api.revoke_grant",
        "api.accept_care",
        "api.end_care",
        "api.revoke_link",
        "api.revoke_token",
        "api.rotate_keys",
        "api.run_release",
        "api.disable_staff",
    }
)
_ERROR = {
    "description": "An error with a stable code",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _operation(rule: Any, method: str) -> dict[str, Any]:
    view = current_app.view_functions[rule.endpoint]
    summary = (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else rule.endpoint
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _TYPES.get(kind or "", {"type": "string"}),
        }
        for kind, name in _PARAM.findall(rule.rule)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
        for name, schema, text in _QUERY.get(rule.endpoint, [])
    ]
    operation: dict[str, Any] = {
        "operationId": rule.endpoint.removeprefix("api."),
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": {"description": "Success", "content": {"application/json": {}}},
            "400": _ERROR,
            "401": _ERROR,
            "403": _ERROR,
            "404": _ERROR,
            "422": _ERROR,
        },
    }
    if method == "post":
        operation["responses"]["201"] = {
            "description": "Created",
            "content": {"application/json": {}},
        }
    if method in {"post", "put"}:
        operation["requestBody"] = {
            "required": rule.endpoint not in _NO_BODY,
            "content": {"application/json": {"schema": {"type": "object"}}}
            if rule.endpoint != "api.upload"
            else {"application/xml": {"schema": {"type": "string"}}},
        }
    if rule.endpoint == "api.download":
        operation["responses"]["200"] = {
            "description": "The CDA document",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    if rule.endpoint == "api.openapi":
        operation["security"] = []
    return operation


def document() -> dict[str, Any]:
    """The API description as a JSON-ready dict."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method.lower())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PHR Share API",
            "version": __version__,
            "description": "Personal health record sharing: every read decided by the patient's "
            "consent and audited. Authenticate with `Authorization: Bearer <API token>`.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "reason": {"type": "string"},
                                "fields": {"type": "object"},
                            },
                        }
                    },
                }
            },
        },
    }
