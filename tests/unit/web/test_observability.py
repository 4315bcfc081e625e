"""The probes (/healthz, /readyz), the Prometheus scrape (/metrics) and the JSON log,
and that no patient id or name reaches a metric label or a log line."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from phr_share.errors import StoreUnavailable
from phr_share.sharing import OPERATOR, Services, run_release
from phr_share.sharing.health import Probe, run_probes
from phr_share.web import create_app
from phr_share.web.observability import json_formatter, metrics_of
from tests.conftest import DEMO_CCD, PATIENT
from tests.unit.web.conftest import Browser, People
from tests.unit.web.test_pages import upload

TOKEN = "m" * 40
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the ``phr_share`` loggers write, rendered as in production."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("phr_share")
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)


def scrape(app: Flask) -> str:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in an exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}(?:\{{([^}}]*)\}})? (\S+)", line)
        if found and ",".join(sorted((found.group(1) or "").split(","))) == wanted:
            return float(found.group(2))
    return 0.0


def test_healthz_answers_without_a_store_or_a_session(
    app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(*_args: object, **_kw: object) -> None:
        raise StoreUnavailable("the database cannot be reached")

    monkeypatch.setattr(services.db, "check", gone)
    monkeypatch.setattr(services.db, "session", gone)
    client = app.test_client()
    client.set_cookie("phr_session", "not-a-session")
    response = client.get("/healthz", headers={"Authorization": "Bearer not-a-token"})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert client.head("/healthz").status_code == 200


def test_readyz_names_each_check_and_fails_with_a_store(app: Flask, services: Services) -> None:
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ok",
        "checks": [
            {"name": "database", "status": "ok"},
            {"name": "swift", "status": "ok"},
            {"name": "s3", "status": "ok"},
        ],
    }
    services.private.fail_after(0)  # type: ignore[attr-defined]
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["status"] == "failed"
    assert down.get_json()["checks"][1] == {
        "name": "swift",
        "status": "failed",
        "reason": "store-unavailable",
    }
    assert "the object store is unavailable" not in down.get_data(as_text=True)  # a code


def test_a_probe_that_hangs_fails_by_the_timeout() -> None:
    release = threading.Event()

    def broken() -> None:
        raise RuntimeError("a driver's message with internals")

    try:
        checks = run_probes(
            [
                Probe("hangs", lambda: release.wait(10) and None),
                Probe("fine", lambda: None),
                Probe("broken", broken),
            ],
            timeout=0.05,
        )
    finally:
        release.set()
    assert [(c.name, c.ok, c.detail) for c in checks] == [
        ("hangs", False, "timeout"),
        ("fine", True, "ok"),
        ("broken", False, "internal"),
    ]


def test_metrics_are_for_loopback_or_the_token(app: Flask, services: Services) -> None:
    client = app.test_client()
    local = client.get("/metrics")
    assert local.status_code == 200
    assert local.content_type.startswith("text/plain; version=0.0.4")
    assert client.get("/metrics", environ_overrides=ELSEWHERE).status_code == 404
    services.settings = dataclasses.replace(services.settings, metrics_token=TOKEN)
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = {"Authorization": "Bearer " + "x" * 40}
    assert client.get("/metrics", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers=right, environ_overrides=ELSEWHERE).status_code == 200


def test_latency_is_labelled_by_route_template(
    app: Flask, browser: Browser, people: People
) -> None:
    browser.login("dr.kim")
    browser.get(f"/clinic/patients/{PATIENT}")
    browser.get("/no/such/page")
    text = scrape(app)
    template = {"method": "GET", "route": "/clinic/patients/<uuid:patient_id>", "status": "2xx"}
    assert sample(text, "phr_http_request_duration_seconds_count", **template) == 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "4xx"}
    assert sample(text, "phr_http_request_duration_seconds_count", **unmatched) == 1
    assert str(PATIENT) not in text


def test_the_use_cases_count_ingests_releases_and_store_errors(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    upload(browser, DEMO_CCD.read_bytes())
    upload(browser, DEMO_CCD.read_bytes())  # the same document again: not a new one
    run_release(services, OPERATOR)  # nothing was chosen for release
    services.private.fail_after(0)  # type: ignore[attr-defined]
    other = DEMO_CCD.read_bytes().replace(b"</ClinicalDocument>", b"<!-- v2 --></ClinicalDocument>")
    upload(browser, other)
    text = scrape(app)
    assert sample(text, "phr_documents_ingested_total") == 1
    assert sample(text, "phr_release_runs_total", outcome="empty") == 1
    assert (
        sample(text, "phr_store_errors_total", store="private", operation="ensure_container") == 1
    )
    assert sample(text, "phr_job_queue_depth", queue="mail") == 0


def test_each_app_owns_its_registry(services: Services) -> None:
    first, second = (create_app(services.settings, services, {"TESTING": True}) for _ in "ab")
    first.test_client().get("/healthz")
    route = {"method": "GET", "route": "/healthz", "status": "2xx"}
    assert sample(scrape(first), "phr_http_request_duration_seconds_count", **route) == 1
    assert metrics_of(first).registry is not metrics_of(second).registry
    # The services count into the app made last, the one that serves them.
    assert services.metrics is metrics_of(second)


def test_a_request_id_is_kept_when_well_formed_and_logged(
    app: Flask, log_lines: io.StringIO
) -> None:
    client = app.test_client()
    sent = str(uuid.uuid4())
    assert client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent
    made = client.get("/healthz", headers={"X-Request-ID": "Jordan Sample"})
    assert uuid.UUID(made.headers["X-Request-ID"]).version == 4
    events = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert [e["request_id"] for e in events] == [sent, made.headers["X-Request-ID"]]
    first = events[0]
    assert {k: first[k] for k in ("event", "level", "method", "route", "status")} == {
        "event": "request",
        "level": "info",
        "method": "GET",
        "route": "/healthz",
        "status": 200,
    }
    assert first["timestamp"].endswith("Z")


def test_no_patient_id_or_name_in_the_log_or_the_metrics(
    app: Flask, browser: Browser, people: People, log_lines: io.StringIO
) -> None:
    name = "Jordan Sample"
    browser.login("jordan")
    upload(browser, DEMO_CCD.read_bytes())
    browser.login("dr.kim")
    browser.get(f"/clinic/patients/{PATIENT}?name=Jordan+Sample")
    browser.post(f"/clinic/patients/{PATIENT}/notes", {"text": f"{name} walks daily"})
    browser.post("/clinic/care/request", {"patient_id": f"{name} {PATIENT}"})  # refused: 422
    browser.get(f"/me/{name}/{PATIENT}", headers={"X-Request-ID": name})  # no such page
    logged, exposed = log_lines.getvalue(), scrape(app)
    assert "/clinic/patients/<uuid:patient_id>" in logged
    assert "/clinic/patients/<uuid:patient_id>" in exposed
    for text in (logged, exposed):
        assert str(PATIENT) not in text
        assert "Jordan" not in text
        assert "Sample" not in text
    for line in logged.splitlines():
        assert "request_id" in json.loads(line)
