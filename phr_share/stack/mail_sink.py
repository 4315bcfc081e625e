"""The local stack's SMTP server: every message delivered to it is kept, one file each,
in a maildir (``<state_dir>/stack/maildir``), so ``make run`` and the tests read what
PHR Share mailed. It binds loopback only and relays nothing::

    python -m phr_share.stack.mail_sink HOST PORT MAILDIR
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import signal
import sys
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

__all__ = ["delivered", "main"]


def delivered(maildir: Path) -> list[EmailMessage]:
    """The messages delivered so far, oldest first (none when nothing came)."""
    folders = [maildir / part for part in ("new", "cur") if (maildir / part).is_dir()]
    files = [f for folder in folders for f in folder.iterdir()]
    found = []
    for path in sorted(files, key=lambda f: (f.stat().st_mtime_ns, f.name)):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


async def _serve(host: str, port: int, maildir: Path) -> None:
    # Heavy and only needed here: imported in the server's own process.
    from aiosmtpd.handlers import Mailbox
    from aiosmtpd.smtp import SMTP

    handler = Mailbox(maildir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="phr-share-sink"), host, port)
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    print(f"accepting mail on {host}:{port}, kept in {maildir}", flush=True)
    async with server:
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until SIGTERM."""
    host, port, maildir = sys.argv[1:] if argv is None else argv
    # A maildir is its three folders; Python's makes them only for a new directory.
    for part in ("tmp", "new", "cur"):
        (Path(maildir) / part).mkdir(parents=True, exist_ok=True, mode=0o700)
    asyncio.run(_serve(host, int(port), Path(maildir)))


if __name__ == "__main__":
    main()
