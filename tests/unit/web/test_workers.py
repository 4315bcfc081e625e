"""``phr-share web --workers N``: gunicorn's settings, the proxy rule, and what the
arbiter makes before it forks (the forking itself is tests/integration/test_web_workers.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from flask import Flask, request

from phr_share.errors import ConfigurationError
from phr_share.settings import Settings
from phr_share.web.serve import THREADS
from phr_share.web.workers import GRACE_SECONDS, Workers, behind_proxy


def _echo() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def who() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host}"

    return app


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_believed_from_the_trusted_proxy_only() -> None:
    client = behind_proxy(_echo(), "10.0.0.2").test_client()
    via_proxy = client.get("/", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert via_proxy.text == "203.0.113.7 https localhost"
    direct = client.get("/", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert direct.text == "10.0.0.9 http localhost"


def test_without_a_trusted_proxy_no_forwarded_header_is_believed() -> None:
    client = behind_proxy(_echo(), None).test_client()
    answer = client.get("/", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.text == "127.0.0.1 http localhost"


def test_the_workers_build_their_own_app_after_the_fork_on_loopback(tmp_path: Path) -> None:
    workers = Workers(Settings(state_dir=tmp_path), 3, port=8123)
    cfg = workers.cfg
    assert cfg.bind == ["127.0.0.1:8123"]
    assert cfg.workers == 3
    assert cfg.threads == THREADS
    assert cfg.preload_app is False  # no engine or pool is made before the fork
    assert cfg.graceful_timeout == GRACE_SECONDS
    assert cfg.forwarded_allow_ips == []  # gunicorn trusts loopback unless told
    assert cfg.control_socket_disable is True  # no socket outside the state directory


def test_a_trusted_proxy_is_the_only_address_gunicorn_believes(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, web_trusted_proxy="10.0.0.2")
    assert Workers(settings, 2).cfg.forwarded_allow_ips == ["10.0.0.2"]


def test_one_worker_is_not_several(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="2 or more"):
        Workers(Settings(state_dir=tmp_path), 1)


def test_the_state_is_made_before_forking_and_a_taken_port_is_said_plainly(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        workers = Workers(Settings(state_dir=tmp_path), 2, port=port)
        with pytest.raises(ConfigurationError, match="already in use"):
            workers.run()
    # Every worker reads these, so they exist before any of them starts.
    for made in ("phr-share.db", "web.secret", "mfa.secret", "deid.secret"):
        assert (tmp_path / made).stat().st_mode & 0o077 == 0
