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
from phr_share.series.summary import MAX_DAYS, Summary, display, summary_json
from phr_share.settings import Settings
from phr_share.sharing import open_services

__all__ = ["add_summary_commands"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

# What each part of the summary is called, and the figures shown under it, in order.
_PARTS = (
    (
        "bp",
        "Blood pressure at home",
        (
            ("mean_systolic", "average systolic"),
            ("mean_diastolic", "average diastolic"),
            ("morning.mean_systolic", "morning systolic"),
            ("morning.mean_diastolic", "morning diastolic"),
            ("evening.mean_systolic", "evening systolic"),
            ("evening.mean_diastolic", "evening diastolic"),
            ("share_at_or_above_target", "readings at or above target"),
            ("highest", "highest"),
        ),
    ),
    (
        "glucose",
        "Glucose (finger-stick)",
        (
            ("mean", "average"),
            ("sd", "standard deviation"),
            ("cv", "variability (CV)"),
            ("gmi", "glucose management indicator"),
            ("bands.<54", "below 54 mg/dL"),
            ("bands.54-69", "54-69 mg/dL"),
            ("bands.70-180", "in range, 70-180 mg/dL"),
            ("bands.181-250", "181-250 mg/dL"),
            ("bands.>250", "above 250 mg/dL"),
        ),
    ),
    (
        "cgm",
        "Glucose (sensor)",
        (
            ("captured_share", "sensor time captured"),
            ("mean", "average"),
            ("cv", "variability (CV)"),
            ("gmi", "glucose management indicator"),
            ("bands.70-180", "time in range, 70-180 mg/dL"),
            ("bands.<54", "time below 54 mg/dL"),
            ("bands.>250", "time above 250 mg/dL"),
        ),
    ),
    (
        "weight",
        "Weight",
        (
            ("latest", "latest"),
            ("change_30d_kg", "change over 30 days"),
            ("change_90d_kg", "change over 90 days"),
            ("bmi", "body mass index"),
        ),
    ),
)


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
    """The summary as lines a person reads: each part with how many readings it rests
    on, and "no readings" rather than empty figures."""
    shown = display(summary)
    lines = [f"The last {summary.window.days} days ({summary.window.zone})"]
    for key, title, figures in _PARTS:
        part = getattr(summary, key)
        readings = 0 if part is None else part.readings
        if not readings:
            lines.append(f"{title}: no readings")
            continue
        lines.append(f"{title}: {readings} reading{'s' * (readings != 1)}")
        lines += [
            f"  {words}: {shown[f'{key}.{name}']}"
            for name, words in figures
            if f"{key}.{name}" in shown
        ]
    return "\n".join(lines) + "\n"
