"""``phr-share report``: a patient's clinic-visit report as a PDF file, as the reader may
see it (their own whole, or a clinician's of the kinds their grant covers), times in the
reader's time zone. The download is audited like one from the pages."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from phr_share import sharing
from phr_share.cli.accounts import add_login_options, login
from phr_share.cli.common import FileError, emit
from phr_share.series.summary import MAX_DAYS
from phr_share.settings import Settings
from phr_share.sharing import open_services

__all__ = ["add_report_commands"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_report_commands(commands: Commands) -> None:
    """Register ``report``."""
    report = commands.add_parser(
        "report", help="a patient's clinic-visit report (summaries, charts, medications) as PDF"
    )
    report.add_argument("--patient", type=uuid.UUID, required=True, help="the patient's id")
    report.add_argument(
        "--days", type=int, default=sharing.REPORT_DAYS, help="the period (default 90 days)"
    )
    report.add_argument("--out", type=Path, required=True, metavar="FILE.pdf", help="write here")
    add_login_options(report)
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        raise FileError(f"--days is a whole number from 1 to {MAX_DAYS}", 2)
    svc = open_services(settings)
    principal = login(svc, args)
    assert principal.user_id is not None  # a signed-in account
    zone = sharing.find_account(svc, principal, user_id=principal.user_id).zone
    data = sharing.visit_report_pdf(svc, principal, args.patient, args.days, zone=zone)
    emit(data, args.out, out)
    out.write(f"visit report of the last {args.days} days written to {args.out}\n")
    return 0
