"""The researcher's pages: the release catalogue, a query over a release, and downloads."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from phr_share.deid.records import RECORD_FIELDS
from phr_share.errors import InvalidInput
from phr_share.models import Role
from phr_share.research import (
    RecordQuery,
    ReleaseInfo,
    records_to_jsonl,
    records_to_parquet,
    release_records,
)
from phr_share.research import catalogue as list_releases
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("research", __name__, url_prefix="/research")

_FORMATS = {
    "jsonl": (records_to_jsonl, "application/x-ndjson"),
    "parquet": (records_to_parquet, "application/vnd.apache.parquet"),
}


def _releases() -> list[ReleaseInfo]:
    svc = services()
    return list(reversed(list_releases(svc.public, svc.settings.s3_bucket)))


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
    svc = services()
    rows = release_records(svc.public, svc.settings.s3_bucket, release.release_id, wanted)
    if action == "count":
        page = render_template(
            "research/catalogue.html",
            releases=releases,
            asked=asked,
            matched=len(rows),
            fields=RECORD_FIELDS,
        )
        return page, 200
    encode, mimetype = _FORMATS[action]
    return _attachment(encode(rows), mimetype, f"release-{release.release_id}.{action}")


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


def _whole(release_id: str, fmt: str) -> Response:
    svc = services()
    rows = release_records(
        svc.public, svc.settings.s3_bucket, release_id, RecordQuery.from_args(request.args)
    )
    encode, mimetype = _FORMATS[fmt]
    return _attachment(encode(rows), mimetype, f"release-{release_id}.{fmt}")


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )
