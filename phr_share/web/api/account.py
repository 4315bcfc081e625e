"""The caller's own account over the API: who they are, notifications, password, tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.sharing.accounts import MAX_TOKEN_TTL
from phr_share.web import fields
from phr_share.web.api.base import (
    answer,
    caller,
)
from phr_share.web.security import client_address, current_account, requires, services

__all__ = ["bp"]

bp = Blueprint("account", __name__)


@bp.get("/v1/me")
@requires()
def me() -> BaseResponse:
    """Who the token (or session) belongs to."""
    return answer(current_account())


@bp.get("/v1/notifications")
@requires()
def notices() -> BaseResponse:
    """The caller's notifications (break-glass on their record)."""
    return answer({"items": sharing.notifications(services(), caller())})


@bp.post("/v1/me/password")
@requires()
def change_password() -> BaseResponse:
    """Change the caller's password ({"current", "new"}); every web session is signed out
    (tokens keep working)."""
    body = fields.body()
    ended = sharing.change_password(
        services(),
        caller(),
        fields.text(body, "current"),
        fields.text(body, "new"),
        address=client_address(),
    )
    return answer({"changed": True, "sessions_ended": ended})


@bp.get("/v1/tokens")
@requires()
def tokens() -> BaseResponse:
    """The caller's API tokens (never the secrets)."""
    return answer({"items": sharing.tokens_of(services(), caller())})


@bp.post("/v1/tokens")
@requires()
def issue_token() -> BaseResponse:
    """A new token for the caller ({"name", "days"} (90 by default)); shown only here."""
    body = fields.body()
    days = fields.number(body, "days", 90, MAX_TOKEN_TTL.days)
    issued = sharing.issue_token(
        services(), caller(), fields.text(body, "name"), ttl=timedelta(days=days)
    )
    return answer(issued, 201)


@bp.post("/v1/tokens/<id:token_id>/revoke")
@requires()
def revoke_token(token_id: int) -> BaseResponse:
    """Revoke a token: one of the caller's own, or (an admin) anyone's."""
    sharing.revoke_token(services(), caller(), token_id)
    return answer({"id": token_id, "status": "revoked"})
