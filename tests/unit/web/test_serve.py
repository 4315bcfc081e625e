"""The server `phr-share web` runs: what it believes about clients behind a proxy."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request

from phr_share.errors import ConfigurationError
from phr_share.stack.processes import free_port
from phr_share.web.serve import Server


class _Slow:
    """A request that holds its worker thread until the server has begun to close."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.closing = threading.Event()
        self.finished: list[str] = []

    def handle(self) -> str:
        self.entered.set()
        if self.closing.wait(10):  # bounded: a close that never comes fails the test
            self.finished.append("slow")
        return "done"


def _echo(slow: _Slow | None = None) -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def who() -> str:
        return f"{request.remote_addr} {request.scheme}"

    @app.get("/slow")
    def held() -> str:
        assert slow is not None
        return slow.handle()

    return app


@contextmanager
def _serving(trusted_proxy: str | None) -> Iterator[Server]:
    server = Server(_echo(), trusted_proxy=trusted_proxy)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(5)


def _get(server: Server) -> tuple[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        connection.request("GET", "/", headers=forwarded)
        reply = connection.getresponse()
        return reply.read().decode(), reply.getheader("Server", "")
    finally:
        connection.close()


def test_forwarded_headers_are_ignored_unless_the_proxy_is_named() -> None:
    with _serving(None) as server:
        assert _get(server) == ("127.0.0.1 http", "PHR Share")


def test_the_named_proxy_passes_on_the_client_address_and_https() -> None:
    with _serving("127.0.0.1") as server:
        assert _get(server)[0] == "203.0.113.9 https"


def test_close_lets_a_request_being_handled_finish_and_ends_run_cleanly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow = _Slow()
    crashes: list[threading.ExceptHookArgs] = []
    previous, threading.excepthook = threading.excepthook, crashes.append
    try:
        server = Server(_echo(slow))
        dispatcher = server._server.task_dispatcher
        shutdown = dispatcher.shutdown

        def shutting_down(*args: Any, **kwargs: Any) -> Any:
            slow.closing.set()  # close has begun; the request is still being handled
            return shutdown(*args, **kwargs)

        monkeypatch.setattr(dispatcher, "shutdown", shutting_down)
        loop = threading.Thread(target=server.run, daemon=True)
        loop.start()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/slow")
        assert slow.entered.wait(10)  # the request is in a worker thread now
        server.close()
        loop.join(5)
        assert not loop.is_alive()
        # The handler ran to its end after close began and before the sockets closed.
        assert slow.finished == ["slow"]
        assert crashes == []
        connection.close()
    finally:
        threading.excepthook = previous


def test_a_server_that_never_ran_closes_too() -> None:
    server = Server(_echo())
    port = server.port
    server.close()
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        with pytest.raises(ConnectionRefusedError):
            probe.request("GET", "/")
    finally:
        probe.close()


def test_a_port_in_use_is_a_clear_configuration_error() -> None:
    first = Server(_echo())
    try:
        with pytest.raises(ConfigurationError, match=r"already in use.*PHR_WEB_PORT"):
            Server(_echo(), port=first.port)
    finally:
        first.close()


def test_while_phr_share_is_served_a_thread_signs_tree_heads(app: Flask) -> None:
    server = Server(app)
    assert server.signer is not None
    assert server.signer.interval.total_seconds() == 300  # PHR_AUDIT_HEAD_INTERVAL
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        # The thread is made, then started: wait for both (a busy machine is slow to).
        while time.monotonic() < deadline and not (
            server.signer._thread is not None and server.signer._thread.is_alive()
        ):
            time.sleep(0.01)
        assert server.signer._thread is not None
        assert server.signer._thread.is_alive()
    finally:
        server.close()
        thread.join(5)
    assert not server.signer._thread.is_alive()
    plain = Server(_echo())
    assert plain.signer is None  # not a PHR Share app: nothing to sign
    plain.close()


def test_sigterm_stops_phr_share_web_as_ctrl_c_does(tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    env = {
        **os.environ,
        "PHR_STATE_DIR": str(tmp_path),
        # Stores that are never reached: the sign-in page asks neither.
        "PHR_SWIFT_AUTH_URL": "http://127.0.0.1:1/auth/v1.0",
        "PHR_SWIFT_USER": "nobody",
        "PHR_SWIFT_KEY": "none",
        "PHR_S3_ENDPOINT_URL": "http://127.0.0.1:1",
    }
    command = [sys.executable, "-m", "phr_share.cli", "web", "--port", str(port)]
    out = subprocess.PIPE
    with subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT) as server:
        try:
            deadline = time.monotonic() + 60
            assert server.stdout is not None
            while b"PHR Share is at" not in server.stdout.readline():
                assert time.monotonic() < deadline
                assert server.poll() is None
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=30) == 0
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(timeout=10)
