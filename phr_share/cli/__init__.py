"""The ``phr-share`` command: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 success, 2 usage, 65 input refused (document, segment, readings, integrity),
66 an input file or stored object is missing,
77 not authenticated or access denied, 69 a store is unavailable, 73 an output
cannot be written, 74 a store failed, 75 a conflict worth retrying, 78 bad configuration,
70 anything unexpected.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from phr_share import __version__
from phr_share.cli.accounts import add_account_commands
from phr_share.cli.common import FileError
from phr_share.cli.documents import add_document_commands
from phr_share.cli.report import add_report_commands
from phr_share.cli.research import add_research_commands
from phr_share.cli.series import add_series_commands
from phr_share.cli.store import add_store_commands
from phr_share.cli.summary import add_summary_commands
from phr_share.cli.web import add_web_commands
from phr_share.errors import PhrShareError
from phr_share.keyfile import keep_private
from phr_share.settings import Settings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Run the command line; returns the process exit code."""
    out = stdout or sys.stdout
    # The state directory holds the index, keys, secrets and logs: whatever this run (or
    # a stack process it starts) writes there is the owner's alone.
    keep_private()
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        result: int = args.handler(args, settings, out)
        return result
    except PhrShareError as exc:
        print(f"phr-share: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except FileError as exc:
        print(f"phr-share: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader stopped early (| head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="phr-share",
        description="Split, share and rebuild personal health records (CCD / C-CDA).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    add_document_commands(commands)
    add_store_commands(commands)
    add_account_commands(commands)
    add_research_commands(commands)
    add_summary_commands(commands)
    add_report_commands(commands)
    add_series_commands(commands)
    add_web_commands(commands)
    return parser
