"""``phr-share summary``: a patient's chronic-care figures for the last days, as a reader
may see them (their own, or a clinician's with a grant for the kinds)."""

from __future__ import annotations

import argparse
import json
import uuid
from typing import TYPE_CHECKING, TextIO

from phr_share import sharing
from phr_share.cli.accounts import add_login_options, login
from phr_share.cli.common import FileError
from phr_share.series.summary import MAX_DAYS, Summary, summary_json
from phr_share.series.words import summary_card
from phr_share.settings import Settings
from phr_share.sharing import open_services

__all__ = ["add_summary_commands"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_summary_commands(commands: Commands) -> None:
    """Register ``summary``."""
    summary = commands.add_parser(
        "summary", help="a patient's blood pressure, glucose and weight figures for the last days"
    )
    summary.add_argument("--patient", type=uuid.UUID, required=True, help="the patient's id")
    summary.add_argument("--days", type=int, default=14, help="the window (default 14 days)")
    summary.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_login_options(summary)
    summary.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        raise FileError(f"--days is a whole number from 1 to {MAX_DAYS}", 2)
    svc = open_services(settings)
    principal = login(svc, args)
    found = sharing.summary_of(svc, principal, args.patient, days=args.days)
    if args.json:
        json.dump(summary_json(found), out, indent=2)
        out.write("\n")
    else:
        out.write(summary_text(found))
    return 0


def summary_text(summary: Summary) -> str:
    """The summary as lines a person reads, the same words as the pages' summary card."""
    lines = [f"The last {summary.window.days} days ({summary.window.zone})"]
    parts = summary_card(summary)
    if not parts:
        lines.append("No blood pressure, blood sugar or weight readings in these days.")
    for part in parts:
        lines += [f"{part.title}: {part.basis}", *(f"  {line}" for line in part.lines)]
    return "\n".join(lines) + "\n"
