"""Serving the app with waitress, a production WSGI server, on loopback by default.

``phr-share web``, the browser tests and ``bench/web.py`` all serve through this, so what
is tested and measured is what runs. While it serves, a daemon thread signs a tree head
of the audit log every PHR_AUDIT_HEAD_INTERVAL seconds when entries came since the last.
"""

from __future__ import annotations

import errno
import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from phr_share.errors import ConfigurationError
from phr_share.sharing import HeadSigner, Services

__all__ = ["THREADS", "Server"]

THREADS = 8  # requests in flight; each waits mostly on Swift, not on the CPU


class Server:
    """The app listening on ``host``:``port`` (0: a free port); ``run`` blocks until ``close``.

    Raises ConfigurationError when it cannot listen there (the port is taken, say).
    """

    def __init__(
        self, app: Flask, host: str = "127.0.0.1", port: int = 0, trusted_proxy: str | None = None
    ) -> None:
        # ident: the Server header names the product, not a server version. Behind a
        # reverse proxy, its X-Forwarded-For/-Proto/-Host are believed from that address
        # only, so sign-in throttling sees each client and cookies see HTTPS.
        proxy: dict[str, Any] = {}
        if trusted_proxy is not None:
            proxy = {
                "trusted_proxy": trusted_proxy,
                "trusted_proxy_count": 1,
                "trusted_proxy_headers": {
                    "x-forwarded-for",
                    "x-forwarded-proto",
                    "x-forwarded-host",
                },
            }
        # The server's sockets (listening, trigger, connections), kept so close() can end them.
        self._sockets: dict[int, Any] = {}
        try:
            server = create_server(
                app,
                map=self._sockets,
                host=host,
                port=port,
                threads=THREADS,
                ident="PHR Share",
                **proxy,
            )
        except OSError as error:
            wasyncore.close_all(self._sockets)  # the socket that could not bind
            if error.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"{host}:{port} is already in use: stop what listens there, or choose "
                    "another port (PHR_WEB_PORT, or phr-share web --port)"
                ) from error
            raise ConfigurationError(f"cannot listen on {host}:{port}: {error.strerror}") from error
        assert isinstance(server, BaseWSGIServer)  # one host and one port: one socket
        self._server = server
        # The app's services, when it is PHR Share's (create_app puts them there).
        svc: Services | None = app.extensions.get("phr_share")
        self.signer = (
            None
            if svc is None
            else HeadSigner(svc, timedelta(seconds=svc.settings.audit_head_interval))
        )
        self._serving = threading.Event()
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._server.getsockname()[1])

    @property
    def url(self) -> str:
        """Where a browser on this machine opens the app."""
        return f"http://localhost:{self.port}"

    def run(self) -> None:
        """Serve until ``close`` is called (from another thread) or the process is stopped."""
        self._serving.set()
        if self.signer is not None:
            self.signer.start()
        try:
            self._server.run()
        finally:
            if self.signer is not None:
                self.signer.stop()
            self._stopped.set()

    def close(self, timeout: int = 10) -> None:
        """Let the requests being handled finish (up to ``timeout`` s), then close every
        socket, which ends ``run``.

        The sockets belong to the thread in ``run``, so they are closed there, after the
        worker threads are gone: none of them can wake a loop that is already closed.
        """
        self._server.task_dispatcher.shutdown(timeout=timeout)
        if self._serving.is_set() and not self._stopped.is_set():
            # The trigger wakes the loop and runs the thunk there (the stubs type it as int).
            trigger: Any = self._server.trigger
            try:
                trigger.pull_trigger(lambda: wasyncore.close_all(self._sockets))
            except OSError:
                # The trigger's pipe is closed already (the loop is ending on its own):
                # nothing can wake the loop, so its sockets are closed from here.
                wasyncore.close_all(self._sockets)
            self._stopped.wait(timeout)
        else:
            wasyncore.close_all(self._sockets)
