"""The fields of a JSON request body, each checked for its type as the API's OpenAPI
document describes it: a wrong one is InvalidInput (422) naming the field, never a
value quietly converted or a ValueError escaping as a 500."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import request

from phr_share.errors import InvalidInput
from phr_share.web.presentation import whole_number

__all__ = ["body", "flag", "number", "text", "time_of", "uuid_of"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def body() -> dict[str, Any]:
    """The request's JSON object; InvalidInput for anything else."""
    sent = request.get_json(silent=True)
    if not isinstance(sent, dict):
        raise InvalidInput("the request body must be a JSON object")
    return sent


def text(sent: dict[str, Any], field: str, default: str = "") -> str:
    """A string field; InvalidInput when it is anything else."""
    value = sent.get(field, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{field} is a string")
    return value


def number(sent: dict[str, Any], field: str, default: int, high: int) -> int:
    """An integer field from 1 to ``high``; InvalidInput otherwise."""
    value = sent.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} is a whole number from 1 to {high}")
    return whole_number(value, field, 1, high)


def flag(sent: dict[str, Any], field: str, default: bool | None = False) -> bool:
    """A true-or-false field (required when ``default`` is None); InvalidInput otherwise."""
    value = sent.get(field, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} is true or false")
    return value


def uuid_of(sent: dict[str, Any], field: str) -> uuid.UUID:
    """An id field, a UUID in its usual hyphenated form; InvalidInput otherwise."""
    value = sent.get(field)
    if not isinstance(value, str) or _UUID.fullmatch(value) is None:
        raise InvalidInput(f"{field} is an id (a UUID)")
    return uuid.UUID(value)


def time_of(sent: dict[str, Any], field: str) -> datetime | None:
    """An ISO 8601 date-time field (UTC when it names no offset), None when absent or
    null; InvalidInput otherwise."""
    value = sent.get(field)
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        raise InvalidInput(f"{field} is an ISO 8601 date-time")
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
