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
    from phr_share.web import create_app
    from phr_share.web.serve import Server

    port = args.port or settings.web_port
    server = Server(create_app(settings), port=port, trusted_proxy=settings.web_trusted_proxy)
    print(f"PHR Share is at {server.url}/ (Ctrl-C stops it)", file=out, flush=True)
    # Loopback only; in production put a TLS-terminating proxy in front of it.
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
