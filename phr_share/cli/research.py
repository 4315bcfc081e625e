"""Commands for researchers on the public bucket: list the releases, pull one kind."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from phr_share.cli.common import EX_CANTCREAT, FileError, print_table
from phr_share.cli.progress import Progress
from phr_share.errors import InvalidInput
from phr_share.models import SegmentKind
from phr_share.research.catalogue import ReleaseInfo, catalogue
from phr_share.research.query import AgeRange
from phr_share.settings import Settings
from phr_share.storage import open_public_store

__all__ = ["add_research_commands"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_research_commands(commands: Commands) -> None:
    """Register ``research list`` and ``research pull`` (the public bucket, read-only)."""
    research = commands.add_parser(
        "research", help="list published research releases; pull one kind's records"
    )
    actions = research.add_subparsers(title="actions", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="the published releases, from their manifests")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=_list)

    pull = actions.add_parser(
        "pull",
        help="download one kind's records since a date, resumably, plus a Parquet file",
        description="Objects already pulled (and unchanged) are skipped, so an interrupted "
        "pull finishes when run again. Writes DIR/records/kind=K/year=Y/release=ID.jsonl "
        "and DIR/K.parquet.",
    )
    pull.add_argument("--kind", required=True, choices=[k.value for k in SegmentKind])
    pull.add_argument("--since", required=True, type=_day, metavar="YYYY-MM-DD")
    pull.add_argument(
        "--ages",
        type=_ages,
        metavar="RANGE",
        help="only records whose age band lies in this range: 40-64, or 65+",
    )
    pull.add_argument("--out", required=True, type=Path, metavar="DIR")
    pull.set_defaults(handler=_pull)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("dates are YYYY-MM-DD") from None


def _ages(value: str) -> AgeRange:
    try:
        return AgeRange.parse(value)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _list(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    releases = catalogue(open_public_store(settings), settings.s3_bucket)
    if args.json:
        json.dump([_release_json(r) for r in releases], out, indent=2)
        out.write("\n")
        return 0
    rows = [
        (
            r.release_id,
            r.published or "-",
            ",".join(r.kinds) or "-",
            _period(r.period),
            str(r.records),
            str(r.k_achieved),
            r.manifest_sha256,
        )
        for r in releases
    ]
    header = ("RELEASE", "PUBLISHED", "KINDS", "PERIOD", "RECORDS", "K", "MANIFEST SHA-256")
    print_table(header, rows, out)
    return 0


def _period(years: tuple[str, ...]) -> str:
    if not years:
        return "-"
    return years[0] if len(years) == 1 else f"{years[0]}..{years[-1]} ({len(years)})"


def _release_json(release: ReleaseInfo) -> dict[str, object]:
    return {
        "release": release.release_id,
        "published": release.published,
        "kinds": list(release.kinds),
        "period": list(release.period),
        "records": release.records,
        "k_achieved": release.k_achieved,
        "manifest": release.manifest_name,
        "manifest_sha256": release.manifest_sha256,
        "objects": [o.name for o in release.objects],
    }


def _pull(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    # Imported here: pyarrow is needed by this command only, not by every phr-share start.
    from phr_share.research.pull import pull, wanted_objects

    store, bucket = open_public_store(settings), settings.s3_bucket
    objects = wanted_objects(store, bucket, args.kind, args.since)
    try:
        with Progress(len(objects), "pull") as bar:
            report = pull(
                store,
                bucket,
                args.kind,
                args.since,
                args.out,
                bar,
                ages=args.ages,
                objects=objects,
                concurrency=settings.store_concurrency,
            )
    except OSError as exc:
        raise FileError(
            f"cannot write under {args.out}: {exc.strerror or 'unwritable'}", EX_CANTCREAT
        ) from None
    removed = f", {report.removed} out of range removed" if report.removed else ""
    ages = f", ages {report.ages}" if report.ages else ""
    print(
        f"{report.kind} since {report.since.isoformat()}{ages}: {report.downloaded} objects "
        f"downloaded, {report.skipped} already up to date{removed}; "
        f"{report.records_written} records written; "
        f"{report.parquet} holds {report.parquet_records} records",
        file=out,
    )
    return 0
