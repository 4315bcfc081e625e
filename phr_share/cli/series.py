"""``phr-share series rebuild``: recompute a patient's measurement series from their
segments (after a bug fix or a mapping change); the segments are the record of truth."""

from __future__ import annotations

import argparse
import json
import uuid
from typing import TYPE_CHECKING, TextIO

from phr_share import sharing
from phr_share.settings import Settings
from phr_share.sharing import open_services

__all__ = ["add_series_commands"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_series_commands(commands: Commands) -> None:
    """Register ``series rebuild``."""
    series = commands.add_parser("series", help="a patient's measurement series")
    actions = series.add_subparsers(dest="action", required=True, metavar="ACTION")
    rebuild = actions.add_parser(
        "rebuild", help="recompute a patient's series from their stored segments"
    )
    rebuild.add_argument("--patient", type=uuid.UUID, required=True, help="the patient's id")
    rebuild.add_argument("--json", action="store_true", help="print the report as JSON")
    rebuild.set_defaults(handler=_rebuild)


def _rebuild(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    report = sharing.rebuild_series(svc, sharing.OPERATOR, args.patient)
    if args.json:
        json.dump(
            {"segments": report.segments, "buckets": report.buckets, "points": report.points}, out
        )
        out.write("\n")
    else:
        out.write(
            f"Rebuilt the series of patient {args.patient}: {report.points} readings in "
            f"{report.buckets} monthly buckets, from {report.segments} segments.\n"
        )
    return 0
