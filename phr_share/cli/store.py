"""Commands on the stores: stack, ingest, segments, get, release, keys, erase, recover."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from phr_share import sharing
from phr_share import stack as local_stack
from phr_share.cli.accounts import add_login_options, login
from phr_share.cli.common import EX_NOINPUT, FileError, emit, kinds, print_table, read
from phr_share.cli.progress import Progress
from phr_share.consent import Purpose
from phr_share.errors import PhrShareError
from phr_share.settings import Settings
from phr_share.sharing import IngestResult, open_services

__all__ = ["add_store_commands"]

# Who the audit log says acted in the operator's commands (those that read no segment).
# The operator sees what an admin sees: the log and the consents, never segment content.
OPERATOR = sharing.OPERATOR

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_store_commands(commands: Commands) -> None:
    """Register the commands that talk to the database, Swift, S3 and the key store."""
    up = commands.add_parser("stack", help="start, stop or show the local Swift + S3 + SMTP stack")
    up.add_argument("action", choices=["up", "down", "status"])
    up.add_argument("--keystone", action="store_true", help="Swift behind a real Keystone v3")
    up.set_defaults(handler=_stack)

    ingest = commands.add_parser("ingest", help="store documents: encrypted, split, indexed")
    ingest.add_argument("files", type=Path, nargs="+", metavar="FILE", help="C-CDA files or dirs")
    ingest.add_argument("--patient", type=uuid.UUID, required=True, help="the patient's global id")
    ingest.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ingest.set_defaults(handler=_ingest)

    listing = commands.add_parser("segments", help="list a patient's stored segments")
    listing.add_argument("--patient", type=uuid.UUID, required=True)
    listing.set_defaults(handler=_segments)

    get = commands.add_parser("get", help="read one stored segment back, decrypted")
    get.add_argument("tracking_id", type=uuid.UUID, metavar="TRACKING_ID")
    get.add_argument("--version", type=int, help="document version (default: the newest)")
    get.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    get.add_argument(
        "--purpose",
        choices=[Purpose.TREATMENT.value, Purpose.EMERGENCY.value],
        default=Purpose.TREATMENT.value,
        help="why it is read (default treatment)",
    )
    add_login_options(get)
    get.set_defaults(handler=_get)

    release = commands.add_parser(
        "release", help="record research choices and publish what waits, de-identified"
    )
    release.add_argument("--patient", type=uuid.UUID, help="whose choices --kinds/--withdraw set")
    release.add_argument("--kinds", type=kinds, default=frozenset(), metavar="KIND,...")
    release.add_argument("--withdraw", type=kinds, default=frozenset(), metavar="KIND,...")
    release.add_argument("--k", type=int, help="override PHR_KANON_K for this run")
    release.add_argument("--json", action="store_true", help="print the report as JSON")
    release.set_defaults(handler=_release)

    keys = commands.add_parser("keys", help="master key rotation")
    keys.add_argument("action", choices=["rotate", "retire", "list"])
    keys.add_argument("version", nargs="?", help="the master key version to retire")
    keys.set_defaults(handler=_keys)

    erase = commands.add_parser("erase", help="erase a patient: shred keys, delete container")
    erase.add_argument("--patient", type=uuid.UUID, required=True)
    erase.add_argument("--yes", action="store_true", help="confirm; nothing happens without it")
    erase.set_defaults(handler=_erase)

    recover = commands.add_parser("recover", help="clean up ingests and releases cut off midway")
    recover.set_defaults(handler=_recover)

    audit = commands.add_parser(
        "audit",
        help="verify the log; sign a tree head; list entries; access; FHIR; check a proof",
        description="verify: recompute the chain, check it against every signed tree head "
        "in the object store(s) and name the first entry affected. sign: sign a tree head "
        "now, if entries came since the last. key: the signing key's public half and "
        "fingerprint. list: entries, all or one patient's. access: who read which of a "
        "patient's segments, when, on what basis. fhir: a patient's grants as FHIR R4 "
        "Consent and their log entries as AuditEvent resources, in one Bundle. "
        "check-proof FILE: check a patient's proof bundle offline against --public-key.",
    )
    audit.add_argument(
        "action", choices=["verify", "sign", "key", "list", "access", "fhir", "check-proof"]
    )
    audit.add_argument("file", nargs="?", type=Path, metavar="FILE", help="check-proof: the bundle")
    audit.add_argument("--patient", type=uuid.UUID, help="the patient (required for access, fhir)")
    audit.add_argument("--out", type=Path, metavar="FILE", help="fhir: write here, not stdout")
    audit.add_argument(
        "--public-key",
        metavar="KEY",
        help="check-proof: the log's public key (base64, as `audit key` prints it) or a file",
    )
    audit.set_defaults(handler=_audit)


def _stack(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.action == "up":
        info = local_stack.up(settings.state_dir, keystone=args.keystone)
        for service in info.services:
            print(f"{service.name:<16} pid {service.pid:<8} 127.0.0.1:{service.port}", file=out)
        print(f"settings written to {settings.state_dir / 'stack.env'}", file=out)
        mails = local_stack.maildir(settings.state_dir) / "new"
        print(f"mails sent through the local SMTP server land in {mails}", file=out)
    elif args.action == "down":
        stopped = local_stack.down(settings.state_dir)
        print(f"stopped: {', '.join(stopped) or 'nothing was running'}", file=out)
    else:
        rows = [
            (s.name, str(s.pid or "-"), str(s.port or "-"), "up" if s.answering else "down")
            for s in local_stack.status(settings.state_dir)
        ]
        print_table(("SERVICE", "PID", "PORT", "STATE"), rows, out)
        return 0 if rows and all(row[3] == "up" for row in rows) else 69
    return 0


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.xml")) if path.is_dir() else [path])
    if not found:
        raise FileError("no XML documents found in the given directories", EX_NOINPUT)
    return found


def _ingest(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    files = _files(args.files)
    svc = open_services(settings)
    items = [(read(path, settings), args.patient) for path in files]
    with Progress(len(items), "ingest") as bar:
        outcomes = sharing.ingest_batch(svc, OPERATOR, items, bar)
    if args.json:
        json.dump([_ingest_json(p, o) for p, o in zip(files, outcomes, strict=True)], out, indent=2)
        out.write("\n")
    else:
        for path, outcome in zip(files, outcomes, strict=True):
            _print_ingest(path, outcome, out)
        if any(p.research for o in outcomes if isinstance(o, IngestResult) for p in o.placements):
            print("research copies wait for the next `phr-share release`", file=out)
    errors = [o.exit_code for o in outcomes if isinstance(o, PhrShareError)]
    return max(errors, default=0)


def _ingest_json(path: Path, outcome: IngestResult | PhrShareError) -> dict[str, object]:
    if isinstance(outcome, PhrShareError):
        return {"file": str(path), "error": outcome.code, "message": outcome.message}
    return {
        "file": str(path),
        "document_id": outcome.document_id,
        "version": outcome.version,
        "new": outcome.created,
        "segments": [
            {
                "kind": p.kind.value,
                "title": p.title,
                "bytes": p.size,
                "tracking_id": str(p.tracking_id),
                "container": p.container,
                "object": p.object_name,
                "research": "queued" if p.research else "no",
            }
            for p in outcome.placements
        ],
    }


def _print_ingest(path: Path, outcome: IngestResult | PhrShareError, out: TextIO) -> None:
    if isinstance(outcome, PhrShareError):
        print(f"{path}: refused: {outcome.message}", file=out)
        return
    state = "stored" if outcome.created else "already stored (nothing written)"
    print(f"{path}: document version {outcome.version}, {state}", file=out)
    print(
        f"private container {sharing.container_for(outcome.patient_id)} "
        "(one object per segment: kind/tracking id/v<version>)",
        file=out,
    )
    rows = [
        (p.kind.value, str(p.tracking_id), str(p.size), "queued" if p.research else "no")
        for p in outcome.placements
    ]
    print_table(("KIND", "TRACKING ID", "BYTES", "RESEARCH"), rows, out)


def _segments(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    rows = [
        (r.kind.value, str(r.tracking_id), str(r.version), str(r.size), r.key_id)
        for r in sharing.segments_of(svc, OPERATOR, args.patient)
    ]
    print_table(("KIND", "TRACKING ID", "VERSION", "BYTES", "KEY"), rows, out)
    return 0


def _get(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    principal = login(svc, args)
    record = sharing.find_segment(svc, principal, args.tracking_id, args.version)
    content = sharing.read_segment(svc, principal, record, purpose=Purpose(args.purpose))
    emit(content, args.out, out)
    return 0


def _release(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    if args.kinds or args.withdraw:
        if args.patient is None:
            raise FileError("--kinds and --withdraw need --patient", 2)
        now = sharing.choose_release(svc, OPERATOR, args.patient, args.kinds, args.withdraw)
        print(f"patient releases: {', '.join(sorted(now)) or 'nothing'}", file=out)
    report = sharing.run_release(svc, OPERATOR, k=args.k)
    if args.json:
        json.dump(_release_json(report), out, indent=2)
        out.write("\n")
    elif report.release_id is None:
        print("nothing waits for release", file=out)
    else:
        print(
            f"release {report.release_id}: k={report.k_achieved} (asked {report.k_requested}); "
            f"{report.records_in} records in, {report.records_suppressed} suppressed; "
            f"{report.segments_published} segments published, "
            f"{report.segments_held_back} held back; manifest {report.manifest}",
            file=out,
        )
    return 0


def _release_json(report: sharing.ReleaseReport) -> dict[str, object]:
    return {
        "release": None if report.release_id is None else str(report.release_id),
        "k_requested": report.k_requested,
        "k_achieved": report.k_achieved,
        "records_in": report.records_in,
        "records_suppressed": report.records_suppressed,
        "segments_published": report.segments_published,
        "segments_held_back": report.segments_held_back,
        "objects": list(report.objects),
        "manifest": report.manifest,
    }


def _keys(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    if args.action == "rotate":
        rotation = sharing.rotate_master(svc, OPERATOR)
        print(
            f"master key now {rotation.master_version}; {rotation.rewrapped} patient keys "
            "re-wrapped, no segment re-encrypted",
            file=out,
        )
    elif args.action == "retire":
        if not args.version:
            raise FileError("keys retire needs the VERSION to retire", 2)
        sharing.retire_master(svc, OPERATOR, args.version)
        print(f"master key {args.version} retired", file=out)
    current = svc.keystore.current_version()
    for version in svc.keystore.versions():
        print(f"{version}{'  (current)' if version == current else ''}", file=out)
    return 0


def _erase(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if not args.yes:
        raise FileError("erasure cannot be undone: run again with --yes to confirm", 2)
    svc = open_services(settings)
    report = sharing.erase_patient(svc, OPERATOR, args.patient)
    print(
        f"erased: {report.keys_destroyed} keys shredded, {report.segments} segments made "
        f"unreadable, {report.objects_deleted} objects deleted, container removed",
        file=out,
    )
    return 0


def _recover(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    documents = sharing.recover(svc, OPERATOR)
    releases = sharing.recover_releases(svc, OPERATOR)
    print(f"cleaned up {documents} interrupted ingests and {releases} releases", file=out)
    return 0


def _audit(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.action == "check-proof":
        return _check_proof(args, out)
    svc = open_services(settings)
    if args.action in {"access", "fhir"}:
        if args.patient is None:
            raise FileError(f"audit {args.action} needs --patient", 2)
        return (
            _audit_access(svc, args, out)
            if args.action == "access"
            else _audit_fhir(svc, args, out)
        )
    if args.action == "list":
        rows = [
            (
                str(e.seq),
                e.at.isoformat(timespec="seconds"),
                e.action.value,
                e.actor,
                e.outcome.value,
                e.subject or "-",
            )
            for e in sharing.audit_entries(svc, OPERATOR, args.patient)
        ]
        print_table(("SEQ", "AT", "ACTION", "ACTOR", "OUTCOME", "SUBJECT"), rows, out)
        return 0
    if args.action == "sign":
        return _audit_sign(svc, out)
    if args.action == "key":
        return _audit_key(svc, out)
    return _audit_verify(svc, out)


def _audit_verify(svc: sharing.Services, out: TextIO) -> int:
    report = sharing.verify_audit(svc, OPERATOR)
    if report.broken is None:
        print(f"audit chain intact: {report.entries} entries, head {report.head}", file=out)
    else:
        print(
            f"audit log broken at entry {report.broken.seq}: {report.broken.reason}",
            file=out,
        )
    for fault in report.faults:
        print(f"untrusted tree head: {fault}", file=out)
    if report.latest is None:
        print("no signed tree head yet: run `phr-share audit sign`", file=out)
    else:
        print(
            f"{report.signed_heads} signed tree heads hold; the newest covers "
            f"{report.latest.size} entries, signed {_when(report.latest.at)}",
            file=out,
        )
    return 0 if report.ok else 65


def _audit_sign(svc: sharing.Services, out: TextIO) -> int:
    head = sharing.sign_tree_head(svc, OPERATOR)
    if head is None:
        print("the audit log is empty: nothing to sign", file=out)
        return 0
    print(
        f"tree head of {head.size} entries, root {head.root}, signed {_when(head.at)}: "
        f"{head.object_name}",
        file=out,
    )
    return 0


def _audit_key(svc: sharing.Services, out: TextIO) -> int:
    info = sharing.audit_key(svc, OPERATOR)
    print(f"audit log signing key (Ed25519, base64): {info.public_key}", file=out)
    print(f"fingerprint (SHA-256 of the key): {info.fingerprint}", file=out)
    if info.latest is not None:
        print(
            f"latest signed tree head: {info.latest.size} entries, {_when(info.latest.at)}",
            file=out,
        )
    return 0


def _check_proof(args: argparse.Namespace, out: TextIO) -> int:
    if args.file is None or not args.public_key:
        raise FileError("audit check-proof needs FILE and --public-key KEY", 2)
    key = args.public_key
    if Path(key).is_file():
        key = Path(key).read_text(encoding="utf-8", errors="replace")
    try:
        data = args.file.read_bytes()
    except OSError:
        raise FileError(f"cannot read {args.file}", EX_NOINPUT) from None
    summary = sharing.check_proof(data, key)
    head = summary.head.head
    print(
        f"proof verified: the {summary.entries} audit log entries about patient "
        f"{summary.patient} in {args.file} are each included, by its audit path, in the "
        f"tree head of {head.size} entries signed {_when(head.at)} by key "
        f"{summary.head.key_id}, and that signature verifies with the key given.",
        file=out,
    )
    return 0


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _audit_access(svc: sharing.Services, args: argparse.Namespace, out: TextIO) -> int:
    rows = [
        (
            e.at.isoformat(timespec="seconds"),
            e.actor,
            e.kind,
            e.segment,
            e.outcome.value,
            e.reason,
            e.basis or "-",
            "EMERGENCY" if e.emergency else "",
        )
        for e in sharing.access_history(svc, OPERATOR, args.patient)
    ]
    headers = ("AT", "WHO", "KIND", "SEGMENT", "OUTCOME", "REASON", "BASIS", "")
    print_table(headers, rows, out)
    return 0


def _audit_fhir(svc: sharing.Services, args: argparse.Namespace, out: TextIO) -> int:
    bundle = sharing.export_fhir(svc, OPERATOR, args.patient)
    emit(json.dumps(bundle, indent=2).encode("utf-8"), args.out, out)
    return 0
