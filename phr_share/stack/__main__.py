"""``python -m phr_share.stack up|down|status [--keystone]``: what deploy/stack runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from phr_share import stack
from phr_share.errors import PhrShareError
from phr_share.settings import STACK_ENV_FILE, Settings

__all__ = ["main", "run"]

_EX_UNAVAILABLE = 69


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploy/stack",
        description=(
            "Start, stop or show the local Swift all-in-one, S3 endpoint and SMTP server"
            " (loopback)."
        ),
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--keystone", action="store_true", help="Swift behind a real Keystone v3")
    parser.add_argument(
        "--state-dir", type=Path, help="where the stack lives (default: $PHR_STATE_DIR, or var)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    return parser


def _show(state_dir: Path, out: TextIO) -> int:
    rows = stack.status(state_dir)
    if not rows:
        print(f"no stack was started in {state_dir}", file=out)
        return _EX_UNAVAILABLE
    for s in rows:
        state = "up" if s.answering else ("running, not answering" if s.running else "down")
        print(f"{s.name:<16} pid {s.pid or '-':<8} port {s.port:<6} {state}", file=out)
    return 0 if all(s.answering for s in rows) else _EX_UNAVAILABLE


def run(argv: Sequence[str], out: TextIO) -> int:
    """Carry out one action; the exit status (errors mapped by phr_share.errors)."""
    args = _parser().parse_args(argv)
    state_dir: Path = args.state_dir or Settings.from_env().state_dir
    if args.action == "up":
        info = stack.up(state_dir, keystone=args.keystone, host=args.host)
        for s in info.services:
            print(f"{s.name:<16} pid {s.pid:<8} {args.host}:{s.port}", file=out)
        print(f"settings written to {state_dir / STACK_ENV_FILE}", file=out)
        mails = stack.maildir(state_dir) / "new"
        print(f"mails sent through the local SMTP server land in {mails}", file=out)
        return 0
    if args.action == "down":
        stopped = stack.down(state_dir)
        print(f"stopped: {', '.join(stopped) or 'nothing was running'}", file=out)
        return 0
    return _show(state_dir, out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; prints an error's message (never a traceback) and exits with its code."""
    try:
        return run(sys.argv[1:] if argv is None else argv, sys.stdout)
    except PhrShareError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
