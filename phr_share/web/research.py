"""The researcher's pages: the release catalogue, a query over a release, and downloads."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from phr_share import sharing
from phr_share.errors import InvalidInput
from phr_share.models import Principal, Role
from phr_share.sharing import RECORD_FIELDS, RecordQuery, ReleaseInfo
from phr_share.web.security import current_account, requires, services

__all__ = ["bp"]

bp = Blueprint("research", __name__, url_prefix="/research")

_FORMATS = ("jsonl", "parquet")


def _me() -> Principal:
    account = current_account()
    assert account is not None  # guarded by @requires
    return account.principal


def _releases() -> list[ReleaseInfo]:
    return list(reversed(sharing.research_releases(services(), _me())))


@bp.get("")
@requires(Role.RESEARCHER, Role.ADMIN)
def catalogue() -> str:
    """Every published release: kinds, period, records, k, manifest hash; and a query form."""
    return render_template(
        "research/catalogue.html", releases=_releases(), asked={}, fields=RECORD_FIELDS
    )


@bp.get("/query")
@requires(Role.RESEARCHER, Role.ADMIN)
def query() -> Response | tuple[str, int]:
    """One release's records by kind, date and age range: counted on the page, or downloaded."""
    if not request.args:  # the form's address opened on its own: the form is on the catalogue
        return redirect(url_for("research.catalogue"))
    releases = _releases()
    asked = {name: request.args.get(name, "") for name in ("release", "kind", "since", "ages")}
    action = request.args.get("action", "count")
    try:
        wanted = RecordQuery.from_args(request.args)
        release = next((r for r in releases if r.release_id == asked["release"]), None)
        if release is None:
            raise InvalidInput("choose one of the published releases")
        if action not in {"count", *_FORMATS}:
            raise InvalidInput("a query is counted or downloaded as JSON lines or Parquet")
    except InvalidInput as exc:
        page = render_template(
            "research/catalogue.html",
            releases=releases,
            asked=asked,
            error=exc.message,
            fields=RECORD_FIELDS,
        )
        return page, 400
    found = sharing.research_records(services(), _me(), release.release_id, wanted)
    if action == "count":
        page = render_template(
            "research/catalogue.html",
            releases=releases,
            asked=asked,
            matched=len(found.rows),
            fields=RECORD_FIELDS,
        )
        return page, 200
    data, mimetype = found.encoded("jsonl" if action == "jsonl" else "parquet")
    return _attachment(data, mimetype, f"release-{release.release_id}.{action}")


@bp.get("/releases/<uuid:release_id>.jsonl")
@requires(Role.RESEARCHER, Role.ADMIN)
def jsonl(release_id: object) -> Response:
    """A release's records as JSON lines (checked against its manifest)."""
    return _whole(str(release_id), "jsonl")


@bp.get("/releases/<uuid:release_id>.parquet")
@requires(Role.RESEARCHER, Role.ADMIN)
def parquet(release_id: object) -> Response:
    """A release's records as one Parquet file."""
    return _whole(str(release_id), "parquet")


def _whole(release_id: str, fmt: Literal["jsonl", "parquet"]) -> Response:
    query = RecordQuery.from_args(request.args)
    data, mimetype = sharing.research_records(services(), _me(), release_id, query).encoded(fmt)
    return _attachment(data, mimetype, f"release-{release_id}.{fmt}")


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )
