"""What every area of the JSON API shares: the caller, JSON answers, paging, accounts named
in a body."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import parse_choice
from phr_share.errors import InvalidInput, NotFound
from phr_share.models import MAX_ID, Principal, Purpose
from phr_share.web import fields
from phr_share.web.presentation import (
    CLINICAL_PURPOSES,
    MAX_PER_PAGE,
    whole_number,
)
from phr_share.web.security import current_account, services


def caller() -> Principal:
    """The signed-in caller."""
    account = current_account()
    assert account is not None
    return account.principal


def caller_patient() -> uuid.UUID:
    """The calling patient's own patient id."""
    patient_id = caller().patient_id
    assert patient_id is not None
    return patient_id


def plain(value: Any) -> Any:
    """A use case's answer as JSON-ready values (times in UTC, sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def answer(value: Any, status: int = 200) -> BaseResponse:
    """A JSON answer made of ``value`` with ``status``."""
    response = jsonify(plain(value))
    response.status_code = status
    return response


def page_args() -> tuple[int, int]:
    """The ``page`` and ``per_page`` asked for, checked."""
    page = whole_number(request.args.get("page", "1"), "page", 1, MAX_ID)
    per_page = whole_number(request.args.get("per_page", "20"), "per_page", 1, MAX_PER_PAGE)
    return page, per_page


def purpose_arg() -> Purpose:
    """The ``purpose`` of a read (treatment by default)."""
    return parse_choice(CLINICAL_PURPOSES, request.args.get("purpose", "treatment"), "purpose")


def stored_answer(result: sharing.IngestResult) -> BaseResponse:
    """A stored document: 201 when new, 200 when it was already there."""
    return answer(result, 201 if result.created else 200)


def account_in(body: dict[str, Any], field: str) -> uuid.UUID:
    """An account named in a body by ``username``, or by its id under ``field``."""
    svc = services()
    try:
        if "username" in body:
            return sharing.find_account(svc, caller(), username=fields.text(body, "username")).id
        return sharing.find_account(svc, caller(), user_id=fields.uuid_of(body, field)).id
    except NotFound:
        raise InvalidInput(
            f"no such account: give a username or an account id as {field}"
        ) from None
