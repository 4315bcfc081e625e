"""``phr-share web``: serve the web app on loopback."""

from __future__ import annotations

import argparse
import signal
from typing import TYPE_CHECKING, TextIO

from phr_share.errors import InvalidInput
from phr_share.settings import Settings

__all__ = ["add_web_commands"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_web_commands(commands: Commands) -> None:
    """Register ``web``."""
    web = commands.add_parser("web", help="serve the web app and JSON API (loopback only)")
    web.add_argument("--port", type=int, help="TCP port (default PHR_WEB_PORT, 8080)")
    web.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web processes (default 1; more are served by gunicorn, Linux only)",
    )
    web.set_defaults(handler=_web)


def _web(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from phr_share.web import create_app
    from phr_share.web.serve import Server

    port = args.port or settings.web_port
    if args.workers < 1:
        raise InvalidInput("--workers must be 1 or more")
    if args.workers > 1:
        return _workers(settings, args.workers, port, out)
    server = Server(create_app(settings), port=port, trusted_proxy=settings.web_trusted_proxy)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops it as Ctrl-C does
    # Loopback only; in production put a TLS-terminating proxy in front of it.
    try:
        print(f"PHR Share is at {server.url}/ (Ctrl-C stops it)", file=out, flush=True)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _workers(settings: Settings, workers: int, port: int, out: TextIO) -> int:
    from phr_share.web.workers import Workers

    server = Workers(settings, workers, port=port)
    print(
        f"PHR Share is at http://localhost:{port}/ in {workers} processes (Ctrl-C stops it)",
        file=out,
        flush=True,
    )
    server.run()  # SIGTERM and SIGINT stop the workers, then the arbiter
    return 0
