"""The pull's journal: one line appended per object done, so a pull resumes where it stopped.

``DIR/.pull-journal`` (JSON Lines, named so that no ``*.jsonl`` glob over the records
takes it) starts with a format line; every other line names one object a pull finished:
its hash in the bucket, the hash of the file written for it, what the pull asked for
(``since``, ``ages``), its record count, release and kind. A later line for an object
supersedes an earlier one. Lines are appended and flushed as each object is done and
fsynced every ``SYNC_EVERY`` lines and at the end, so the crash story is short:

- a line that is in the journal whole says its object was done, *if* the file at that
  name still hashes to the line's ``local_sha256`` (checked on every pull, so a file lost
  or torn in a power cut is fetched again);
- a torn last line (a crash mid-append) or any other unreadable line is ignored: its
  object is fetched again; the torn tail is cut off before the next append.

At the end of a pull whose journal holds superseded or removed lines, it is rewritten
once (a temporary, fsynced, renamed over it), so it stays as long as what it describes.

The state file of earlier versions (``DIR/.pull-state.json``, format
``phr-share-pull/1``, rewritten whole after each object) is read once, converted into a
journal and removed; an unreadable one only means starting afresh, as it always did.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["JOURNAL_FILE", "LEGACY_STATE_FILE", "Done", "Journal"]

JOURNAL_FILE = ".pull-journal"
LEGACY_STATE_FILE = ".pull-state.json"
FORMAT = "phr-share-pull-journal/1"
LEGACY_FORMAT = "phr-share-pull/1"
SYNC_EVERY = 256
_HEADER = json.dumps({"format": FORMAT}).encode() + b"\n"


@dataclass(frozen=True, slots=True)
class Done:
    """One object a pull finished, as its journal line records it."""

    name: str
    sha256: str  # the object's hash in the bucket (its manifest's)
    local_sha256: str  # the hash of the file written for it
    since: str | None
    ages: str | None
    records: int
    release: str
    kind: str

    def line(self) -> bytes:
        """The journal line, newline included."""
        fields = {name: getattr(self, name) for name in _FIELDS}  # asdict deep-copies
        return json.dumps(fields, sort_keys=True).encode() + b"\n"

    @classmethod
    def read(cls, name: str, fields: Mapping[str, Any]) -> Done | None:
        """An entry from a line's (or an old state file's) fields; None when malformed."""
        text = ("sha256", "local_sha256", "release", "kind")
        if not all(isinstance(fields.get(key), str) for key in text):
            return None
        if not all(
            fields.get(key) is None or isinstance(fields[key], str) for key in ("since", "ages")
        ):
            return None
        records = fields.get("records")
        if not isinstance(records, int) or isinstance(records, bool):
            return None
        return cls(
            name=name,
            sha256=fields["sha256"],
            local_sha256=fields["local_sha256"],
            since=_shared(fields.get("since")),
            ages=_shared(fields.get("ages")),
            records=records,
            release=sys.intern(fields["release"]),
            kind=sys.intern(fields["kind"]),
        )


_FIELDS = tuple(field.name for field in dataclasses.fields(Done))


class Journal:
    """The objects earlier pulls finished under a directory, and the file they are kept in.

    ``entries`` is what the journal held when opened; what this pull appends goes to the
    file only, so a pull holds one entry per object it found done, not two.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / JOURNAL_FILE
        self.entries: dict[str, Done] = {}
        self._dead = 0  # lines in the file that describe no object any more
        self._forgotten: set[str] = set()
        self._unsynced = 0
        self._file: IO[bytes] | None = None
        legacy = out_dir / LEGACY_STATE_FILE
        if self.path.exists():
            self._load()
        else:
            self._rewrite(_legacy_entries(legacy))
        legacy.unlink(missing_ok=True)

    def _load(self) -> None:
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]  # a torn last line is no line
        lines = complete.split(b"\n")[:-1]
        if not lines or _format(lines[0]) != FORMAT:
            self._rewrite([])  # not a journal this version reads: start afresh
            return
        self.entries = _entries(lines[1:])
        self._dead = len(lines) - 1 - len(self.entries)
        if len(complete) < len(data):
            os.truncate(self.path, len(complete))

    def append(self, entry: Done) -> None:
        """Record one object done: appended and flushed now, fsynced in batches."""
        if self._file is None:
            self._file = self.path.open("ab")  # closed by close()
        self._file.write(entry.line())
        self._file.flush()
        self._dead += entry.name in self.entries  # the earlier line is superseded
        self._unsynced += 1
        if self._unsynced >= SYNC_EVERY:
            self._sync()

    def forget(self, names: Iterable[str]) -> None:
        """Drop entries whose files are gone; the journal is compacted at close."""
        for name in names:
            if self.entries.pop(name, None) is not None:
                self._forgotten.add(name)
                self._dead += 1

    def close(self) -> None:
        """Fsync what was appended; compact the file when it holds dead lines."""
        if self._file is not None:
            self._sync()
            self._file.close()
            self._file = None
        if self._dead:
            lines = self.path.read_bytes().split(b"\n")[1:-1]
            live = _entries(lines)
            self._rewrite(e for name, e in sorted(live.items()) if name not in self._forgotten)

    def _sync(self) -> None:
        if self._file is not None and self._unsynced:
            os.fsync(self._file.fileno())
        self._unsynced = 0

    def _rewrite(self, entries: Iterable[Done]) -> None:
        """Replace the file whole: a temporary beside it, fsynced, renamed over it."""
        kept = list(entries)
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("wb") as file:
                file.write(_HEADER + b"".join(entry.line() for entry in kept))
                file.flush()
                os.fsync(file.fileno())
            temporary.replace(self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self.entries = {entry.name: entry for entry in kept}
        self._dead = 0

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _entries(lines: Iterable[bytes]) -> dict[str, Done]:
    """The entries of journal lines, a later line for an object over an earlier one."""
    entries: dict[str, Done] = {}
    for line in lines:
        entry = _entry(line)
        if entry is not None:
            entries[entry.name] = entry
    return entries


def _shared(value: str | None) -> str | None:
    # Every line of one pull asks the same: one string for all of them, not one each.
    return None if value is None else sys.intern(value)


def _format(line: bytes) -> object:
    with contextlib.suppress(ValueError):
        header = json.loads(line)
        if isinstance(header, dict):
            return header.get("format")
    return None


def _entry(line: bytes) -> Done | None:
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    if not isinstance(fields, dict) or not isinstance(fields.get("name"), str):
        return None
    return Done.read(fields["name"], fields)


def _legacy_entries(path: Path) -> Iterator[Done]:
    """The entries of an old whole-file state; none when it is missing or unreadable."""
    try:
        state = json.loads(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return
    if not isinstance(state, dict) or state.get("format") != LEGACY_FORMAT:
        return
    objects = state.get("objects")
    if not isinstance(objects, dict):
        return
    for name, fields in objects.items():
        entry = Done.read(name, fields) if isinstance(fields, dict) else None
        if entry is not None:
            yield entry
