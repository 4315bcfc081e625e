"""The server `phr-share web` runs: what it believes about clients behind a proxy."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, request

from phr_share.web.serve import Server


def _echo() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def who() -> str:
        return f"{request.remote_addr} {request.scheme}"

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
