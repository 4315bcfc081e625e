"""The researcher's bulk pull: one kind's records since a date, resumable, plus Parquet.

Each record object is downloaded, checked against its manifest hash, filtered to the
records dated on or after ``since`` (records without a date or year are kept) and, when
an age range is given, to the records whose age band lies in it, and written under the
output directory at its bucket key. The journal (:mod:`phr_share.research.journal`)
gets one line per object done, with the hash it had in the bucket and the hash of the
file written for it, so a pull cut off at any point resumes where it stopped. An object
is fetched again when its file is missing or was changed, when the bucket's copy
changed, or when it was pulled with another ``since`` or age range. Files an earlier
pull of the same kind wrote for objects outside the new range are removed, so the
directory always holds exactly what the last pull asked for.

Objects are fetched (or, when up to date, read back from disk) by ``concurrency``
threads, each parsing its object once into Parquet columns, and are finished in the
order they were listed: the file is renamed into place, its journal line appended and
its columns handed to the Parquet stream, which writes a row group whenever enough of
them wait. So the journal only ever names objects whose file is in place, and the pull
holds a bounded window of objects, whatever their number.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from phr_share.errors import InvalidInput
from phr_share.public_layout import is_kind
from phr_share.research.catalogue import RecordObject, catalogue, fetch_object, parse_jsonl
from phr_share.research.journal import JOURNAL_FILE, Done, Journal
from phr_share.research.parquet import ColumnTypes, ParquetStream, RecordSchema
from phr_share.research.query import AgeRange, RecordQuery
from phr_share.storage.base import BlobStore

__all__ = ["JOURNAL_FILE", "PullReport", "pull", "wanted_objects"]

# The pull adds the release of every record, and its schema is known before any object.
_SCHEMA = RecordSchema({"release": "string"})
_AHEAD = 2  # objects in flight per thread: enough to keep every thread busy


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
    concurrency: int = 1,
) -> PullReport:
    """Pull ``kind`` since ``since`` into ``out_dir``; raises IntegrityError, StorageError, OSError.

    ``ages`` keeps only the records whose age band lies in that range. ``objects`` is
    what ``wanted_objects`` returned, when the caller listed them already (to size a
    progress bar); ``progress`` is called once per object. ``concurrency`` objects are
    fetched at once (the CLI passes PHR_STORE_CONCURRENCY).
    """
    _check_kind(kind)
    query = RecordQuery(kind, since, ages)
    chosen = list(wanted_objects(store, bucket, kind, since) if objects is None else objects)
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet = out_dir / f"{kind}.parquet"
    downloaded = skipped = written = 0
    with Journal(out_dir) as journal, ParquetStream(parquet, _SCHEMA) as stream:
        task = _Task(store, bucket, query, out_dir)
        jobs = ((obj, journal.entries.get(obj.name)) for obj in chosen)
        # Closed at once on an error, so that no thread is left writing a temporary.
        with contextlib.closing(_in_order(task.run, jobs, concurrency)) as finished:
            for done in finished:
                if done.temporary is not None:
                    done.temporary.replace(out_dir / done.obj.name)
                    done.temporary = None
                    journal.append(done.entry)
                    downloaded += 1
                    written += done.entry.records
                else:
                    skipped += 1
                if done.columns is None:
                    task.fits = False  # a record outside the release format: rebuilt below
                elif task.fits:
                    stream.add(done.columns)
                if progress is not None:
                    progress(1)
        removed = _remove_stale(out_dir, journal, kind, {obj.name for obj in chosen})
        rows = stream.rows
        if not task.fits:
            stream.abort()
            rows = _rebuild_parquet(out_dir, chosen, parquet)
    return PullReport(kind, since, ages, downloaded, skipped, removed, written, parquet, rows)


@dataclass(slots=True)
class _Finished:
    """One object read: its file waiting under a temporary name (when it was fetched),
    its journal entry, and its records as Parquet columns (None: they do not fit)."""

    obj: RecordObject
    entry: Done
    columns: Any
    temporary: Path | None = field(default=None)

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


@dataclass(slots=True)
class _Task:
    """What each thread does for one object: check, fetch, verify, filter, parse once."""

    store: BlobStore
    bucket: str
    query: RecordQuery
    out_dir: Path
    fits: bool = True

    def run(self, job: tuple[RecordObject, Done | None]) -> _Finished:
        obj, entry = job
        records = _read_back(self.out_dir, entry, obj, self.query)
        temporary = None
        if records is None or entry is None:
            entry, records, local = _fetch(self.store, self.bucket, obj, self.query)
            temporary = _write_temporary(self.out_dir / obj.name, local)
        columns = None
        if self.fits and _SCHEMA.fits(records, ("release",)):
            columns = _SCHEMA.batch(records, {"release": obj.release_id})
        return _Finished(obj, entry, columns, temporary)


def _in_order(
    run: Callable[[Any], _Finished], jobs: Iterator[Any], concurrency: int
) -> Generator[_Finished, None, None]:
    """``run`` over ``jobs`` on ``concurrency`` threads, the results in the jobs' order.

    At most ``_AHEAD`` jobs per thread are in flight. When the consumer stops early (an
    error), jobs not started are cancelled and the files of those done are removed.
    """
    window: deque[Future[_Finished]] = deque()
    with ThreadPoolExecutor(max(1, concurrency), "phr-pull") as pool:
        try:
            for job in jobs:
                window.append(pool.submit(run, job))
                if len(window) >= _AHEAD * max(1, concurrency):
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()
            for future in window:
                if not future.cancelled() and future.exception() is None:
                    future.result().discard()


def _fetch(
    store: BlobStore, bucket: str, obj: RecordObject, query: RecordQuery
) -> tuple[Done, list[dict[str, Any]], bytes]:
    """Fetch, verify and filter one object: its journal entry, records kept, file bytes."""
    data = fetch_object(store, bucket, obj)
    lines = data.splitlines(keepends=True)
    # Each line parsed once; any line not records fails the whole object before any is kept.
    parsed = [parse_jsonl(line) for line in lines]
    kept_lines, kept = [], []
    for line, records in zip(lines, parsed, strict=True):
        if all(map(query.matches, records)):
            kept_lines.append(line)
            kept.extend(records)
    # Unfiltered objects are written byte for byte, so they still match the manifest.
    if len(kept_lines) == len(lines):
        local = data
    else:
        local = b"".join(_terminated(line) for line in kept_lines)
    since, ages = _asked(query)
    entry = Done(
        name=obj.name,
        sha256=obj.sha256,
        local_sha256=hashlib.sha256(local).hexdigest(),
        since=since,
        ages=ages,
        records=len(kept),
        release=obj.release_id,
        kind=obj.kind,
    )
    return entry, kept, local


def _read_back(
    out_dir: Path, entry: Done | None, obj: RecordObject, query: RecordQuery
) -> list[dict[str, Any]] | None:
    """The records of an object pulled before and unchanged since; None: fetch it again."""
    if entry is None or entry.sha256 != obj.sha256 or (entry.since, entry.ages) != _asked(query):
        return None
    try:
        local = (out_dir / obj.name).read_bytes()
    except FileNotFoundError:
        return None
    if hashlib.sha256(local).hexdigest() != entry.local_sha256:
        return None
    return parse_jsonl(local)


def _write_temporary(path: Path, data: bytes) -> Path:
    """Write the bytes beside ``path``, under a name no reader takes for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _remove_stale(out_dir: Path, journal: Journal, kind: str, chosen: set[str]) -> int:
    """Remove the files of ``kind`` an earlier pull wrote that this one did not ask for."""
    stale = [n for n, e in journal.entries.items() if e.kind == kind and n not in chosen]
    for name in stale:
        path = (out_dir / name).resolve()
        if path.is_relative_to(out_dir.resolve()):  # names come from a file anyone could edit
            path.unlink(missing_ok=True)
    journal.forget(stale)
    return len(stale)


def _rebuild_parquet(out_dir: Path, chosen: Sequence[RecordObject], parquet: Path) -> int:
    """Write the Parquet file again from the files pulled, typing every extra key.

    Only for records with keys outside the release format (none a release publishes
    today): the first pass learns the columns, the second writes them; each holds one
    object's records at a time.
    """
    types = ColumnTypes()
    for obj in chosen:
        types.add({**r, "release": obj.release_id} for r in _local(out_dir, obj))
    with ParquetStream(parquet, types.schema()) as stream:
        for obj in chosen:
            stream.add(stream.schema.batch(_local(out_dir, obj), {"release": obj.release_id}))
    return stream.rows


def _local(out_dir: Path, obj: RecordObject) -> list[dict[str, Any]]:
    return parse_jsonl((out_dir / obj.name).read_bytes())


def _check_kind(kind: str) -> None:
    if not is_kind(kind):
        raise InvalidInput("a kind is lower-case letters, digits and hyphens")


def _terminated(line: bytes) -> bytes:
    return line if line.endswith(b"\n") else line + b"\n"


def _asked(query: RecordQuery) -> tuple[str | None, str | None]:
    """What a pull asked for (``since``, ``ages``), as its journal records it."""
    # Interned: every entry of a pull holds the same two strings, not a copy each.
    return (
        sys.intern(query.since.isoformat()) if query.since else None,
        sys.intern(str(query.ages)) if query.ages else None,
    )
