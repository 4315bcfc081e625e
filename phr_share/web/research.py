"""The researcher's pages: the release catalogue and its downloads."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from phr_share.consent import Role
from phr_share.research import catalogue as list_releases
from phr_share.research import records_to_jsonl, records_to_parquet, release_records
from phr_share.web.security import requires, services

__all__ = ["bp"]

bp = Blueprint("research", __name__, url_prefix="/research")


@bp.get("")
@requires(Role.RESEARCHER, Role.ADMIN)
def catalogue() -> str:
    """Every published release: kinds, period, records, k, manifest hash."""
    svc = services()
    releases = list_releases(svc.public, svc.settings.s3_bucket)
    return render_template("research/catalogue.html", releases=list(reversed(releases)))


def _records(release_id: str) -> list[dict[str, object]]:
    svc = services()
    kind = request.args.get("kind") or None
    return release_records(svc.public, svc.settings.s3_bucket, release_id, kind)


@bp.get("/releases/<uuid:release_id>.jsonl")
@requires(Role.RESEARCHER, Role.ADMIN)
def jsonl(release_id: object) -> Response:
    """A release's records as JSON lines (checked against its manifest)."""
    return Response(
        records_to_jsonl(_records(str(release_id))),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": f"attachment; filename=release-{release_id}.jsonl"},
    )


@bp.get("/releases/<uuid:release_id>.parquet")
@requires(Role.RESEARCHER, Role.ADMIN)
def parquet(release_id: object) -> Response:
    """A release's records as one Parquet file."""
    return Response(
        records_to_parquet(_records(str(release_id))),
        mimetype="application/vnd.apache.parquet",
        headers={"Content-Disposition": f"attachment; filename=release-{release_id}.parquet"},
    )
