"""Serving the app from several processes with gunicorn (``phr-share web --workers N``).

The arbiter prepares the state once (schema, secret files) and then forks; it never opens
the services itself. Each worker builds its own app and services after the fork, so no
database connection, pool or store client is shared between processes. Everything two
requests must agree on lives in the database, not in a worker: sessions and pending
sign-ins, the sign-in throttle's failures, one-visit link claims, notices. The session
cookie is signed with one secret file that every worker reads. Each worker also runs
the audit tree-head signer; a head signed by two at once is stored once.

SIGTERM stops gracefully: the workers finish the requests in hand (up to 10 s), then exit.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from werkzeug.middleware.proxy_fix import ProxyFix

from phr_share.errors import ConfigurationError
from phr_share.keyfile import keep_private, load_or_create_secret
from phr_share.settings import Settings
from phr_share.sharing import HeadSigner, Services, open_services, prepare_state
from phr_share.web.app import create_app
from phr_share.web.serve import THREADS

__all__ = ["GRACE_SECONDS", "Workers"]

GRACE_SECONDS = 10  # what a stopping worker gives the requests it is handling


class Workers(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """``workers`` processes serving the app on ``host``:``port``; ``run`` blocks until a
    SIGTERM or SIGINT has stopped them all.

    Raises ConfigurationError when it cannot listen there, or for a bad setting.
    """

    def __init__(
        self, settings: Settings, workers: int, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if workers < 2:
            raise ConfigurationError("several web processes means 2 or more (--workers)")
        self.settings, self.workers, self.host, self.port = settings, workers, host, port
        self._services: Services | None = None
        self._signer: HeadSigner | None = None
        super().__init__(prog="phr-share web")

    def load_config(self) -> None:
        """gunicorn's settings: threaded workers, our bind, no files outside the state."""
        proxy = self.settings.web_trusted_proxy
        for name, value in {
            "bind": [f"{self.host}:{self.port}"],
            "workers": self.workers,
            "worker_class": "gthread",
            "threads": THREADS,
            "preload_app": False,  # each worker builds its own app, after the fork
            "graceful_timeout": GRACE_SECONDS,
            "proc_name": "phr-share-web",
            # Forwarded headers are believed from the trusted proxy only (none by default).
            "forwarded_allow_ips": proxy or "",
            "control_socket_disable": True,
            "worker_exit": _worker_exit,
        }.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        """The app of this worker, over services opened in this process."""
        keep_private()
        self._services = open_services(self.settings, migrate=False)
        app = create_app(self.settings, self._services)
        interval = timedelta(seconds=self.settings.audit_head_interval)
        self._signer = HeadSigner(self._services, interval)
        self._signer.start()
        return behind_proxy(app, self.settings.web_trusted_proxy)

    def close(self) -> None:
        """Stop this worker's signer and close its services (at the worker's exit)."""
        if self._signer is not None:
            self._signer.stop()
        if self._services is not None:
            self._services.close()

    def run(self) -> None:
        """Prepare the state, check the port is free, then fork the workers and serve."""
        keep_private()
        prepare_state(self.settings)
        if self.settings.web_secret is None:
            load_or_create_secret(self.settings.state_dir / "web.secret")
        _check_free(self.host, self.port)
        super().run()


def behind_proxy(app: Flask, proxy: str | None) -> Flask:
    """``app``, taking the client's address, scheme and host from X-Forwarded-* headers
    when the request comes from ``proxy``, and ignoring them from anyone else."""
    if proxy is None:
        return app
    fixed = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    plain = app.wsgi_app

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        trusted = environ.get("REMOTE_ADDR") == proxy
        return (fixed if trusted else plain)(environ, start_response)

    app.wsgi_app = wsgi  # type: ignore[method-assign]
    return app


def _worker_exit(_arbiter: Any, worker: Any) -> None:
    application = worker.app
    if isinstance(application, Workers):
        application.close()


def _check_free(host: str, port: int) -> None:
    """ConfigurationError, said plainly, when ``host``:``port`` cannot be listened on."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
    try:
        probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                f"{host}:{port} is already in use: stop what listens there, or choose "
                "another port (PHR_WEB_PORT, or phr-share web --port)"
            ) from error
        raise ConfigurationError(f"cannot listen on {host}:{port}: {error.strerror}") from error
    finally:
        probe.close()
