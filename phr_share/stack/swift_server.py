"""Runs one of Swift's servers so that what it writes stays its owner's (umask 077).

Swift's servers set the umask to 022 as they start (``run_wsgi`` calls
``clean_up_daemon_hygiene``), which would fill the device directory with directories
and databases every local user can read. The stack starts each server through this
module instead of its ``swift-*-server`` script: the same ``main``, with that one step
followed by the owner-only umask again::

    python -m phr_share.stack.swift_server object-server CONF --verbose
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from phr_share.keyfile import PRIVATE_UMASK

__all__ = ["SERVERS", "main"]

# The module whose ``main`` each ``swift-<name>`` script runs.
SERVERS = {
    "account-server": "swift.account.server",
    "container-server": "swift.container.server",
    "object-server": "swift.obj.server",
    "proxy-server": "swift.proxy.server",
}


def main(argv: Sequence[str] | None = None) -> None:
    """Run the named server with its arguments (it exits when the server stops)."""
    name, *arguments = sys.argv[1:] if argv is None else argv
    server = importlib.import_module(SERVERS[name])
    from swift.common import wsgi  # heavy: only in the server's own process

    hygiene = wsgi.clean_up_daemon_hygiene

    def private_hygiene() -> None:
        hygiene()
        os.umask(PRIVATE_UMASK)

    wsgi.clean_up_daemon_hygiene = private_hygiene
    # Swift reads its options from sys.argv, and names its process after argv[0].
    sys.argv = [f"swift-{name}", *arguments]
    server.main()


if __name__ == "__main__":
    main()
