"""The JSON API: the same use cases as the pages, for programs (bearer API tokens).

One blueprint per area, like the pages, all under ``/api``: ``account`` (the caller's own
account and tokens), ``records`` (reading and storing), ``patient`` (the patient's
settings), ``care`` (care relationships), ``clinic``, ``research`` and ``admin``.

Errors are ``{"error": {"code", "message", ...}}`` with the status of the error table;
listings are paginated and every page is decided afresh by the decision point.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response as BaseResponse

from phr_share.web.api import account, admin, care, clinic, patient, records, research
from phr_share.web.openapi import document

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/openapi.json")
def openapi() -> BaseResponse:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())


for _area in (records, patient, clinic, research, care, account, admin):
    bp.register_blueprint(_area.bp)
