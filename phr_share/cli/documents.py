"""Commands on documents, with no store: split, rebuild, readings, deidentify."""

from __future__ import annotations

import argparse
import json
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from phr_share.ccda import (
    PatientHeader,
    parse_readings,
    readings_document,
    rebuild_document,
    segment_to_xml,
    segments_from_xml,
    select_segments,
    split_document,
)
from phr_share.ccda.split import SplitDocument
from phr_share.cli.common import (
    EX_CANTCREAT,
    EX_NOINPUT,
    FileError,
    clip,
    emit,
    kinds,
    print_table,
    read,
)
from phr_share.deid.policy import DateMode, DeidPolicy
from phr_share.deidentify import deidentify_document
from phr_share.keyfile import load_or_create_secret
from phr_share.models import PhiKind, SegmentKind
from phr_share.settings import Settings

__all__ = ["add_document_commands"]


def add_document_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register split, rebuild, readings and deidentify."""
    split = commands.add_parser("split", help="split a C-CDA document into segments")
    split.add_argument("file", type=Path, metavar="FILE.xml", help="the CCD / C-CDA document")
    split.add_argument(
        "--patient", type=uuid.UUID, help="the patient's global id (default: a new one)"
    )
    split.add_argument("--out", type=Path, metavar="DIR", help="write each segment to DIR")
    split.add_argument("--json", action="store_true", help="print JSON instead of a table")
    split.set_defaults(handler=_split)

    rebuild = commands.add_parser("rebuild", help="rebuild a CDA document from segment files")
    rebuild.add_argument("dir", type=Path, metavar="DIR", help="directory of segment files (*.xml)")
    rebuild.add_argument(
        "--kinds",
        type=kinds,
        metavar="KIND,...",
        help="use only these segment kinds (default: all)",
    )
    rebuild.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    rebuild.set_defaults(handler=_rebuild)

    readings = commands.add_parser("readings", help="make a C-CDA document of home readings")
    readings.add_argument(
        "--patient", type=uuid.UUID, required=True, help="the patient's global id"
    )
    readings.add_argument(
        "--at", dest="measured_at", metavar="ISO-TIME", help="when (default: now)"
    )
    for name in ("systolic", "diastolic", "heart-rate", "glucose", "weight", "height", "pain"):
        readings.add_argument(f"--{name}", metavar="N")
    for name in ("glucose-unit", "weight-unit", "height-unit", "mood", "diet", "activity", "note"):
        readings.add_argument(f"--{name}", metavar="TEXT")
    readings.add_argument("--activity-minutes", metavar="N")
    readings.add_argument(
        "--family",
        action="append",
        default=[],
        metavar="'RELATION: CONDITION'",
        help="a relative's condition (repeatable)",
    )
    readings.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    readings.set_defaults(handler=_readings)

    deid = commands.add_parser(
        "deidentify", help="de-identify a C-CDA document as it would be released for research"
    )
    deid.add_argument("file", type=Path, metavar="FILE.xml", help="the CCD / C-CDA document")
    deid.add_argument(
        "--patient", type=uuid.UUID, help="the patient's global id (default: a new one)"
    )
    deid.add_argument(
        "--kinds", type=kinds, metavar="KIND,...", help="release only these kinds (default: all)"
    )
    deid.add_argument("--dates", choices=["year", "shift"], help="override PHR_DEID_DATES")
    deid.add_argument("--jsonl", action="store_true", help="print the flat records as JSON lines")
    deid.set_defaults(handler=_deidentify)


def _split(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    patient = args.patient or uuid.uuid4()
    result = split_document(read(args.file, settings), patient, settings.xml_limits)
    if args.out is not None:
        _write_segments(result, args.out)
    if args.json:
        json.dump(_split_json(result), out, indent=2)
        out.write("\n")
    else:
        _print_table(result, out)
    return 0


def _rebuild(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    files = sorted(args.dir.glob("*.xml")) if args.dir.is_dir() else []
    if not files:
        raise FileError(f"no segment files (*.xml) in {args.dir}", EX_NOINPUT)
    segments = [s for f in files for s in segments_from_xml(read(f, settings), settings.xml_limits)]
    chosen = select_segments(segments, kinds=args.kinds)
    emit(rebuild_document(chosen, settings.xml_limits), args.out, out)
    return 0


def _readings(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    form = {
        key: value
        for key, value in vars(args).items()
        if isinstance(value, str) and key not in {"handler"}
    }
    form["family_history"] = "\n".join(args.family)
    readings = parse_readings(form, now=datetime.now(UTC))
    document = readings_document(readings, PatientHeader(args.patient), uuid.uuid4())
    emit(document, args.out, out)
    return 0


def _deidentify(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    patient = args.patient or uuid.uuid4()
    document = split_document(read(args.file, settings), patient, settings.xml_limits)
    secret = settings.deid_secret or load_or_create_secret(settings.state_dir / "deid.secret")
    policy = DeidPolicy(
        secret, datetime.now(UTC).date(), DateMode(args.dates or settings.deid_dates)
    )
    kinds = None if args.kinds is None else args.kinds - {SegmentKind.PERSONAL}
    released = deidentify_document(document, policy, kinds)
    if args.jsonl:
        for segment in released:
            for record in segment.records:
                out.write(json.dumps(record.as_json(), sort_keys=True, ensure_ascii=False) + "\n")
        return 0
    total: Counter[PhiKind] = Counter()
    for segment in released:
        total.update(segment.removed)
        print(
            f"<!-- {segment.kind.value}: {segment.title or 'untitled'}; removed "
            f"{_removed(segment.removed)}; {len(segment.records)} records -->",
            file=out,
        )
        out.write(segment.xml.decode() + "\n")
    print(f"removed in all: {_removed(total)}", file=out)
    return 0


def _removed(counts: Mapping[PhiKind, int]) -> str:
    parts = [f"{kind.value} {n}" for kind, n in sorted(counts.items()) if n]
    return ", ".join(parts) or "nothing"


def _write_segments(result: SplitDocument, directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for number, segment in enumerate(result.segments):
            name = f"{number:03d}-{segment.kind.value}-{segment.tracking_id}.xml"
            (directory / name).write_bytes(segment_to_xml(segment))
    except OSError as exc:
        raise FileError(
            f"cannot write to {directory}: {exc.strerror or 'unwritable'}", EX_CANTCREAT
        ) from None


def _split_json(result: SplitDocument) -> dict[str, object]:
    return {
        "patient_id": str(result.patient_id),
        "document": {"id": str(result.document.id), "version": result.document.version},
        "sections": len(result.section_segments),
        "segments": [
            {
                "kind": s.kind.value,
                "path": s.path,
                "title": s.title,
                "loinc": s.code.loinc if s.code else None,
                "code": None if s.code is None else {"code": s.code.code, "system": s.code.system},
                "bytes": len(s.content),
                "sha256": s.sha256,
                "tracking_id": str(s.tracking_id),
            }
            for s in result.segments
        ],
    }


def _print_table(result: SplitDocument, out: TextIO) -> None:
    rows = [
        (
            s.kind.value,
            clip(s.title or "", 38),
            (s.code.loinc if s.code else None) or "-",
            str(len(s.content)),
            str(s.tracking_id),
        )
        for s in result.segments
    ]
    print(
        f"patient {result.patient_id}: {len(result.section_segments)} sections, "
        f"{len(result.segments)} segments",
        file=out,
    )
    print_table(("KIND", "TITLE", "LOINC", "BYTES", "TRACKING ID"), rows, out)
