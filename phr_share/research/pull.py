"""The researcher's bulk pull: one kind's records since a date, resumable, plus Parquet.

Each record object is downloaded, checked against its manifest hash, filtered to the
records dated on or after ``since`` (records without a date or year are kept) and, when
an age range is given, to the records whose age band lies in it, and written under the
output directory at its bucket key. A state file names every object done, with the
hash it had in the bucket and the hash of the file written for it; it is replaced
atomically after each object, so a pull cut off at any point resumes where it stopped.
An object is fetched again when its file is missing or was changed, when the bucket's
copy changed, or when it was pulled with another ``since`` or age range. Files an
earlier pull of the same kind wrote for objects outside the new range are removed, so
the directory always holds exactly what the last pull asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from phr_share.errors import InvalidInput
from phr_share.public_layout import is_kind
from phr_share.research.catalogue import RecordObject, catalogue, fetch_object, parse_jsonl
from phr_share.research.parquet import records_to_parquet
from phr_share.research.query import AgeRange, RecordQuery
from phr_share.storage.base import BlobStore

__all__ = ["STATE_FILE", "PullReport", "pull", "wanted_objects"]

STATE_FILE = ".pull-state.json"
STATE_FORMAT = "phr-share-pull/1"

State = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PullReport:
    """What a pull did: objects fetched or already up to date, and records written."""

    kind: str
    since: date
    ages: AgeRange | None
    downloaded: int
    skipped: int
    removed: int
    records_written: int
    parquet: Path
    parquet_records: int


def wanted_objects(store: BlobStore, bucket: str, kind: str, since: date) -> list[RecordObject]:
    """The record objects of ``kind`` whose period reaches ``since``, oldest release first.

    Raises InvalidInput for a malformed kind, IntegrityError for a bad manifest.
    """
    _check_kind(kind)
    return [
        obj
        for release in catalogue(store, bucket)
        for obj in release.objects
        if obj.kind == kind and (obj.last_year is None or obj.last_year >= since.year)
    ]


def pull(
    store: BlobStore,
    bucket: str,
    kind: str,
    since: date,
    out_dir: Path,
    progress: Callable[[int], None] | None = None,
    *,
    ages: AgeRange | None = None,
    objects: Sequence[RecordObject] | None = None,
) -> PullReport:
    """Pull ``kind`` since ``since`` into ``out_dir``; raises IntegrityError, StorageError, OSError.

    ``ages`` keeps only the records whose age band lies in that range. ``objects`` is
    what ``wanted_objects`` returned, when the caller listed them already (to size a
    progress bar); ``progress`` is called once per object.
    """
    _check_kind(kind)
    query = RecordQuery(kind, since, ages)
    chosen = list(wanted_objects(store, bucket, kind, since) if objects is None else objects)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = _load_state(out_dir)
    downloaded = skipped = written = 0
    for obj in chosen:
        if _up_to_date(out_dir, state.get(obj.name), obj, query):
            skipped += 1
        else:
            entry = _download(store, bucket, obj, query, out_dir)
            state[obj.name] = entry
            _save_state(out_dir, state)
            downloaded += 1
            written += int(entry["records"])
        if progress is not None:
            progress(1)
    removed = _remove_stale(out_dir, state, kind, {obj.name for obj in chosen})
    rows = [
        {**record, "release": obj.release_id}
        for obj in chosen
        for record in parse_jsonl((out_dir / obj.name).read_bytes())
    ]
    parquet = out_dir / f"{kind}.parquet"
    _write_atomically(parquet, records_to_parquet(rows))
    return PullReport(kind, since, ages, downloaded, skipped, removed, written, parquet, len(rows))


def _remove_stale(out_dir: Path, state: State, kind: str, chosen: set[str]) -> int:
    """Remove the files of ``kind`` an earlier pull wrote that this one did not ask for."""
    stale = [name for name, e in state.items() if e.get("kind") == kind and name not in chosen]
    for name in stale:
        path = (out_dir / name).resolve()
        if path.is_relative_to(out_dir.resolve()):  # names come from a file anyone could edit
            path.unlink(missing_ok=True)
        del state[name]
    if stale:
        _save_state(out_dir, state)
    return len(stale)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary beside it, then a rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def _check_kind(kind: str) -> None:
    if not is_kind(kind):
        raise InvalidInput("a kind is lower-case letters, digits and hyphens")


def _download(
    store: BlobStore, bucket: str, obj: RecordObject, query: RecordQuery, out_dir: Path
) -> dict[str, Any]:
    """Fetch, verify and filter one object, write its file; the state entry for it."""
    data = fetch_object(store, bucket, obj)
    parse_jsonl(data)  # the whole object must be records before any of it is kept
    lines = data.splitlines(keepends=True)
    kept = [line for line in lines if all(map(query.matches, parse_jsonl(line)))]
    # Unfiltered objects are written byte for byte, so they still match the manifest.
    local = data if len(kept) == len(lines) else b"".join(_terminated(line) for line in kept)
    _write_atomically(out_dir / obj.name, local)
    return {
        "sha256": obj.sha256,
        "local_sha256": hashlib.sha256(local).hexdigest(),
        **_asked(query),
        "records": len(parse_jsonl(local)),
        "release": obj.release_id,
        "kind": obj.kind,
    }


def _terminated(line: bytes) -> bytes:
    return line if line.endswith(b"\n") else line + b"\n"


def _asked(query: RecordQuery) -> dict[str, str | None]:
    """What a pull asked for, as its state file records it."""
    return {
        "since": query.since.isoformat() if query.since else None,
        "ages": str(query.ages) if query.ages else None,
    }


def _up_to_date(
    out_dir: Path, entry: dict[str, Any] | None, obj: RecordObject, query: RecordQuery
) -> bool:
    if entry is None or entry.get("sha256") != obj.sha256:
        return False
    if any(entry.get(key) != value for key, value in _asked(query).items()):
        return False
    try:
        local = (out_dir / obj.name).read_bytes()
    except FileNotFoundError:
        return False
    return hashlib.sha256(local).hexdigest() == entry.get("local_sha256")


def _load_state(out_dir: Path) -> State:
    """The objects done so far; an unreadable state file only means starting afresh."""
    try:
        state = json.loads((out_dir / STATE_FILE).read_bytes())
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        return {}
    objects = state.get("objects")
    if not isinstance(objects, dict):
        return {}
    return {name: entry for name, entry in objects.items() if isinstance(entry, dict)}


def _save_state(out_dir: Path, state: State) -> None:
    document = {"format": STATE_FORMAT, "objects": dict(sorted(state.items()))}
    data = json.dumps(document, sort_keys=True, indent=2).encode() + b"\n"
    _write_atomically(out_dir / STATE_FILE, data)
