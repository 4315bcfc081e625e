"""The application factory: nothing is built at import time."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response as BaseResponse

from phr_share.keyfile import keep_private, load_or_create_secret
from phr_share.models import MAX_ID, Role
from phr_share.settings import Settings
from phr_share.sharing import Services, open_services
from phr_share.sharing.accounts import SESSION_TTL
from phr_share.web import (
    admin,
    api,
    auth,
    clinic,
    errors,
    family,
    mfa,
    observability,
    patient,
    probes,
    report,
)
from phr_share.web.local_time import TIME_FILTERS, zone
from phr_share.web.presentation import CHART_PERIOD_WORDS, FILTERS
from phr_share.web.research import bp as research_bp
from phr_share.web.security import current_account, install

__all__ = ["VENDOR_DIR", "IdConverter", "create_app"]

# Front-end libraries copied from deploy/web/node_modules by the Makefile.
VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
HOME = {
    Role.PATIENT: "patient.dashboard",
    Role.DOCTOR: "clinic.patients",
    Role.NURSE: "clinic.patients",
    Role.CAREGIVER: "family.people",
    Role.RESEARCHER: "research.catalogue",
    Role.ADMIN: "admin.overview",
}


class IdConverter(IntegerConverter):
    """``<id:name>``: an id of the index, 1 to MAX_ID; anything else matches no route
    (404), so an id past the database's integer range never reaches a query."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def create_app(
    settings: Settings | None = None,
    svc: Services | None = None,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """The PHR Share web app and JSON API over ``svc`` (opened from settings by default).

    Also the WSGI entry (``phr_share.web:create_app()``): whatever the process then writes
    in the state directory (database, its journal files, secrets) is the owner's alone.
    """
    keep_private()
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    secret = settings.web_secret or load_or_create_secret(settings.state_dir / "web.secret")
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_NAME="phr_session",
        SESSION_COOKIE_SECURE=settings.web_secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_TTL,  # the cookie lives as long as the session
        # A document at the size limit plus the form around it; more is refused with 413.
        MAX_CONTENT_LENGTH=settings.max_document_bytes + 64 * 1024,
        MAX_FORM_MEMORY_SIZE=settings.max_document_bytes + 64 * 1024,
    )
    app.config.update(config or {})
    app.url_map.converters["id"] = IdConverter
    svc = app.extensions["phr_share"] = svc or open_services(settings)
    observability.install(app, svc)
    install(app)
    errors.install(app)
    for blueprint in (
        auth.bp,
        mfa.bp,
        patient.bp,
        clinic.bp,
        family.bp,
        report.bp,
        research_bp,
        admin.bp,
        api.bp,
        probes.bp,
    ):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "home", _home)
    app.jinja_env.globals["chart_library"] = (VENDOR_DIR / "chart.umd.min.js").exists()
    app.jinja_env.globals["chart_periods"] = CHART_PERIOD_WORDS
    app.jinja_env.globals["max_document_bytes"] = settings.max_document_bytes
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters.update(TIME_FILTERS)
    app.jinja_env.globals["local_zone"] = lambda: zone().key
    return app


def _home() -> BaseResponse:
    account = current_account()
    if account is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[account.role]))
