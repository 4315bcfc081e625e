"""``phr-share web``: serve the web app on loopback."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from phr_share.settings import Settings

__all__ = ["add_web_commands"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_web_commands(commands: Commands) -> None:
    """Register ``web``."""
    web = commands.add_parser("web", help="serve the web app and JSON API (loopback only)")
    web.add_argument("--port", type=int, help="TCP port (default PHR_WEB_PORT, 8080)")
    web.set_defaults(handler=_web)


def _web(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from werkzeug.serving import run_simple

    from phr_share.web import create_app

    port = args.port or settings.web_port
    app = create_app(settings)
    print(f"PHR Share is at http://localhost:{port}/ (Ctrl-C stops it)", file=out, flush=True)
    # A threaded development-grade server on loopback; in production run the factory
    # under a WSGI server behind TLS: gunicorn 'phr_share.web:create_app()'.
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
    return 0
