"""The researcher's API: the published releases and their records."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import parse_choice
from phr_share.models import Role
from phr_share.sharing import RecordQuery
from phr_share.web.api.base import (
    answer,
    caller,
    page_args,
)
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("research", __name__)


@bp.get("/v1/releases")
@requires(Role.RESEARCHER, Role.ADMIN)
def releases() -> BaseResponse:
    """The published research releases."""
    return answer({"items": sharing.research_releases(services(), caller())})


@bp.get("/v1/releases/<uuid:release_id>/records")
@requires(Role.RESEARCHER, Role.ADMIN)
def records(release_id: uuid.UUID) -> Response | BaseResponse:
    """A release's records: ``format`` json (paginated), jsonl or parquet.

    ``kind``, ``since`` (YYYY-MM-DD) and ``ages`` (40-64 or 65+) filter the records.
    """
    fmt = parse_choice(("json", "jsonl", "parquet"), request.args.get("format", "json"), "format")
    query = RecordQuery.from_args(request.args)
    page, per_page = page_args()
    found = sharing.research_records(services(), caller(), str(release_id), query)
    rows = found.rows
    if fmt != "json":
        data, mimetype = found.encoded("jsonl" if fmt == "jsonl" else "parquet")
        return Response(data, mimetype=mimetype)
    return answer(
        {
            "items": rows[(page - 1) * per_page : page * per_page],
            "page": page,
            "per_page": per_page,
            "total": len(rows),
        }
    )
