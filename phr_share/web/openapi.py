"""The OpenAPI 3.1 document of the JSON API, generated from the routes themselves.

Each operation's summary is its view's docstring, so the document cannot drift from
the code; the error shape and the bearer scheme are declared once.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from phr_share import __version__

__all__ = ["document"]

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_TYPES = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"}}
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
        operation["requestBody"] = {
            "required": rule.endpoint not in {"api.revoke_grant"},
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
