"""The OpenAPI 3.1 document of the JSON API, generated from the routes themselves.

Each operation's summary is its view's docstring, its path parameters come from the
route's converters, its roles (as tags) from ``requires``, and what it takes and answers
from :data:`phr_share.web.api_doc.OPERATIONS`. An answer made from one of the use
cases' dataclasses is described from that dataclass's fields; the error shape and the
bearer scheme are declared once. The bodies, queries and other answers in ``OPERATIONS``
are written by hand: tests hold them to the API (tests/unit/web/test_api.py fails on a
route without an entry, and tests/unit/web/test_fuzz_api.py checks the answers it draws
against their schemas).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from flask import current_app
from werkzeug.routing import Rule

from phr_share import __version__
from phr_share.models import MAX_ID
from phr_share.web.api_doc import ERROR, OPERATIONS, Component, Operation
from phr_share.web.security import roles_of

__all__ = ["document"]

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_PATH_TYPES: dict[str, dict[str, Any]] = {
    "uuid": {"type": "string", "format": "uuid"},
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
_SCALARS: dict[object, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
}
# The error answers, each described once under components/responses: those every
# operation may give, then those only some do (``Operation.errors``; 413 with a body).
_ERRORS = {
    400: ("BadRequest", "A malformed request"),
    401: ("Unauthenticated", "No valid API token (or session)"),
    403: ("Denied", "Refused for this account: its role, or the decision point (with a reason)"),
    404: ("NotFound", "No such thing, or nothing here"),
    409: ("Conflict", "It does not fit the current state"),
    422: ("Invalid", "A value was refused; the message says which and what is allowed"),
    502: ("StoreFailed", "A store failed"),
    503: ("StoreUnavailable", "A store or the key service cannot be reached"),
    410: ("Erased", "The patient's keys were erased: their private data is unreadable"),
    413: ("TooLarge", "The request body is larger than the limit"),
    429: ("TooManyTries", "Too many wrong tries; see Retry-After"),
}
_COMMON_ERRORS = (400, 401, 403, 404, 409, 422, 502, 503)
# Component names where a class's own name says too little.
_NAMES = {"Entry": "AuditEntry", "Break": "AuditBreak", "Check": "HealthCheck"}


class _Components:
    """The shared schemas an operation's shapes refer to, collected while describing."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}
        self._named: dict[str, object] = {}
        self.schemas["Error"] = self.shape(ERROR)

    def shape(self, value: Any) -> Any:
        """A JSON schema with every dataclass, enum and component in it replaced by a
        reference to its schema under ``components/schemas``."""
        if isinstance(value, type) and (dataclasses.is_dataclass(value) or issubclass(value, Enum)):
            return self._ref(value)
        if isinstance(value, Component):
            return self._name(value.name, value, lambda: self.shape(value.schema))
        if isinstance(value, dict):
            return {k: self.shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.shape(v) for v in value]
        return value

    def _ref(self, cls: type) -> dict[str, Any]:
        name = _NAMES.get(cls.__name__, cls.__name__)
        if issubclass(cls, Enum):
            return self._name(name, cls, lambda: _enum_schema(cls))
        return self._name(name, cls, lambda: self._dataclass(cls))

    def _name(self, name: str, source: object, describe: Callable[[], Any]) -> dict[str, Any]:
        """A reference to ``name``, described on first use; one name, one source."""
        known = self._named.setdefault(name, source)
        assert known is source, f"two shapes named {name}"
        if name not in self.schemas:
            self.schemas[name] = {}  # first, so a shape that refers to itself terminates
            self.schemas[name] = describe()
        return {"$ref": f"#/components/schemas/{name}"}

    def _dataclass(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        fields = [f.name for f in dataclasses.fields(cls)]
        doc = (cls.__doc__ or "").strip().splitlines()
        return {
            "type": "object",
            "description": doc[0] if doc else cls.__name__,
            "required": fields,
            "properties": {name: self._type(hints[name]) for name in fields},
        }

    def _type(self, hint: Any) -> dict[str, Any]:
        """The schema of a value of this type as the API's JSON encoder writes it."""
        if hint in _SCALARS:
            return dict(_SCALARS[hint])
        if isinstance(hint, typing.NewType):  # a principal id is written as its text
            return self._type(hint.__supertype__)
        if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or issubclass(hint, Enum)):
            return self._ref(hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):
            return {"anyOf": [self._type(a) for a in args]}
        if hint is type(None):
            return {"type": "null"}
        if origin in (list, set, frozenset) or (origin is tuple and args[-1:] == (...,)):
            return {"type": "array", "items": self._type(args[0])}
        if origin in (dict, Mapping):
            return {"type": "object", "additionalProperties": self._type(args[1])}
        if hint is Any or hint is object:
            return {}
        raise TypeError(f"no JSON schema for {hint!r}")


def _enum_schema(cls: type[Enum]) -> dict[str, Any]:
    doc = (cls.__doc__ or "").strip().splitlines()
    return {"type": "string", "enum": [m.value for m in cls], "description": doc[0] if doc else ""}


def _content(media: str, schema: Any) -> dict[str, Any]:
    return {media: {"schema": schema}}


def _error_responses() -> dict[str, Any]:
    error = _content("application/json", {"$ref": "#/components/schemas/Error"})
    return {name: {"description": text, "content": error} for name, text in _ERRORS.values()}


def _responses(spec: Operation, parts: _Components) -> dict[str, Any]:
    answers: dict[str, Any] = {
        str(status): {
            "description": description,
            "content": {m: {"schema": parts.shape(schema)} for m, schema in shapes.items()},
        }
        for status, (description, shapes) in spec.answers.items()
    }
    errors = {*_COMMON_ERRORS, *spec.errors, *((413,) if spec.body is not None else ())}
    for status in sorted(errors):
        answers.setdefault(str(status), {"$ref": f"#/components/responses/{_ERRORS[status][0]}"})
    return answers


def _parameters(rule: Rule, spec: Operation, parts: _Components) -> list[dict[str, Any]]:
    path = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(_PATH_TYPES.get(kind or "", {"type": "string"})),
        }
        for kind, name in _PARAM.findall(rule.rule)
    ]
    query = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": parts.shape(schema),
            "description": text,
        }
        for name, schema, text in spec.query
    ]
    return path + query


def _tags(view: Any) -> list[str]:
    roles = roles_of(view)
    if roles is None:
        return ["public"]
    return sorted(r.value for r in roles) or ["account"]


def _operation(rule: Rule, parts: _Components) -> dict[str, Any]:
    view = current_app.view_functions[rule.endpoint]
    spec = OPERATIONS[rule.endpoint]
    lines = (view.__doc__ or "").strip().split("\n\n")[0].split()
    operation: dict[str, Any] = {
        "operationId": rule.endpoint.rsplit(".", 1)[-1],
        "summary": " ".join(lines) or rule.endpoint,
        "tags": _tags(view),
        "parameters": _parameters(rule, spec, parts),
        "responses": _responses(spec, parts),
    }
    if spec.body is not None:
        media, schema = spec.body
        operation["requestBody"] = {
            "required": True,
            "content": _content(media, parts.shape(schema)),
        }
    if roles_of(view) is None:
        operation["security"] = []
    return operation


def document() -> dict[str, Any]:
    """The API description as a JSON-ready dict."""
    parts = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, parts)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PHR Share API",
            "version": __version__,
            "description": "Personal health record sharing: every read decided by the patient's "
            "consent and audited. Authenticate with `Authorization: Bearer <API token>`. "
            "Each operation's tags name the roles it serves (`account`: any signed-in role).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "phr_ API token",
                    "description": "An API token from the Account page or `phr-share user token`.",
                }
            },
            "schemas": dict(sorted(parts.schemas.items())),
            "responses": _error_responses(),
        },
    }
