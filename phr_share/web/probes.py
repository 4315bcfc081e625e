"""The load balancer's probes and the Prometheus scrape: /healthz, /readyz, /metrics.

None of them reads a session or an API token, or asks for a CSRF token: they are
:func:`~phr_share.web.security.bare` views. /healthz touches nothing (the process
answers, so it is alive); /readyz asks the database, Swift and S3, each within a short
timeout, and tells which failed by an error code only. /metrics is for the scraper
alone: with PHR_METRICS_TOKEN set, the request must carry it as a bearer token; without,
only a loopback client is answered, and anyone else is told there is nothing here.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request

from phr_share.sharing import readiness
from phr_share.web.observability import CONTENT_TYPE, metrics_of
from phr_share.web.security import bare, client_address, services

__all__ = ["bp"]

bp = Blueprint("probes", __name__)
_NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
@bare
def healthz() -> Response:
    """Alive: the process answers (nothing else is asked)."""
    return Response("ok\n", 200, _NO_STORE, mimetype="text/plain")


@bp.get("/readyz")
@bare
def readyz() -> Response:
    """Ready: 200 when the database, Swift and S3 each answer in time, else 503."""
    checks = readiness(services())
    ready = all(c.ok for c in checks)
    body = {
        "status": "ok" if ready else "failed",
        "checks": [
            {"name": c.name, "status": "ok"}
            if c.ok
            else {"name": c.name, "status": "failed", "reason": c.detail}
            for c in checks
        ],
    }
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers.update(_NO_STORE)
    return response


@bp.get("/metrics")
@bare
def metrics() -> Response:
    """The app's metrics in the Prometheus text format, for the scraper only."""
    token = services().settings.metrics_token
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            headers = {**_NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'}
            return Response("the metrics token is missing or wrong\n", 401, headers)
    elif not _loopback():
        abort(404)  # as any path that is not there
    exposition = metrics_of(current_app).exposition()
    return Response(exposition, 200, _NO_STORE, content_type=CONTENT_TYPE)


def _loopback() -> bool:
    try:
        return ipaddress.ip_address(client_address()).is_loopback
    except ValueError:
        return False
