"""The public research bucket's layout in one place: every object name, and the manifest.

Objects sit in Hive-style partitions, so analytics tools read a prefix as one table::

    records/kind=<kind>/year=<year>/release=<release id>.jsonl   one kind's flat records
    segments/kind=<kind>/year=<year>/<public id>.xml            a de-identified segment
    manifests/release=<release id>.json                          a release's manifest
    audit-heads/<size, 12 digits>-<root, 64 hex>.json            a signed audit tree head

A kind is lower-case letters, digits and hyphens; ``year`` is a year ("2019"), a period
the k-anonymity gate widened it to ("2015-2019"), or "unknown"; a release id is a UUID
spelt as ``str(uuid)``; a public id is a keyed stand-in in hex. Each name has exactly one
spelling: a name that parses builds back to itself, and any other (another prefix, a path
step, an upper-case id) is a ValueError. Tree heads keep the same name in the operator's
private container too.

A manifest is written last and names every other object of its release with its SHA-256
and size, beside how the release passed the gate. Its bytes are canonical JSON (sorted
keys, two-space indent, ASCII, one final newline); researchers check their SHA-256, so
they never change for a release once published. Pure: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

__all__ = [
    "AUDIT_HEADS",
    "MANIFESTS",
    "MANIFEST_FORMAT",
    "RECORDS",
    "SEGMENTS",
    "UNKNOWN_YEAR",
    "AuditHeadName",
    "Gate",
    "Listed",
    "ListedRecords",
    "Manifest",
    "ManifestName",
    "PublicName",
    "PublishedManifest",
    "RecordsName",
    "SegmentName",
    "is_kind",
    "kind_of",
    "media_type",
    "parse_name",
    "period",
    "read_manifest",
]

RECORDS, SEGMENTS, MANIFESTS, AUDIT_HEADS = "records/", "segments/", "manifests/", "audit-heads/"
UNKNOWN_YEAR = "unknown"
MANIFEST_FORMAT = "phr-share-release/1"

_KIND = "[a-z0-9][a-z0-9-]{0,63}"
_YEAR = "[0-9]{4}(?:-[0-9]{4})?|unknown"
_PUBLIC_ID = "[0-9a-f]{1,64}"
_PARTITION = "kind=(?P<kind>" + _KIND + ")/year=(?P<year>" + _YEAR + ")/"
_RELEASE = "release=(?P<release>[0-9a-f-]{36})"
_RECORDS_NAME = re.compile("records/" + _PARTITION + _RELEASE + r"\.jsonl")
_SEGMENT_NAME = re.compile("segments/" + _PARTITION + "(?P<public_id>" + _PUBLIC_ID + r")\.xml")
_MANIFEST_NAME = re.compile("manifests/" + _RELEASE + r"\.json")
_AUDIT_HEAD_NAME = re.compile(r"audit-heads/(?P<size>[0-9]{12,20})-(?P<root>[0-9a-f]{64})\.json")
_KIND_PART, _YEAR_PART, _PUBLIC_ID_PART = map(re.compile, (_KIND, _YEAR, _PUBLIC_ID))
_SHA256 = re.compile("[0-9a-f]{64}")
_RECORDS_SHAPE = "records/kind=K/year=Y/release=ID.jsonl"
_SEGMENT_SHAPE = "segments/kind=K/year=Y/PUBLIC-ID.xml"
_MANIFEST_SHAPE = "manifests/release=ID.json"
_AUDIT_HEAD_SHAPE = "audit-heads/SIZE-ROOT.json"


def period(year: str | None) -> str:
    """The year part of a name for records of ``year``: "unknown" when they have none."""
    return year or UNKNOWN_YEAR


def is_kind(text: str) -> bool:
    """True when ``text`` may stand as the kind part of a name (and so in a local path)."""
    return _KIND_PART.fullmatch(text) is not None


# Each class checks its parts when made, so every name built is one that parses; parse
# takes the parts as the name spells them, so a name that parses builds back to itself.


@dataclass(frozen=True, slots=True)
class RecordsName:
    """A records object: one kind's flat records of one period in one release (JSON Lines)."""

    kind: str
    year: str
    release: uuid.UUID

    def __post_init__(self) -> None:
        _check_partition(self.kind, self.year, _RECORDS_SHAPE)
        _check_part(isinstance(self.release, uuid.UUID), _RECORDS_SHAPE)

    @property
    def name(self) -> str:
        """The object's name in the bucket."""
        return f"{RECORDS}kind={self.kind}/year={self.year}/release={self.release}.jsonl"

    @classmethod
    def parse(cls, name: str) -> RecordsName:
        """The parts of a records object's name; ValueError for any other name."""
        part = _match(_RECORDS_NAME, name, _RECORDS_SHAPE)
        return cls(part["kind"], part["year"], _release(part["release"]))


@dataclass(frozen=True, slots=True)
class SegmentName:
    """A segments object: one de-identified segment's XML, by kind and period."""

    kind: str
    year: str
    public_id: str

    def __post_init__(self) -> None:
        _check_partition(self.kind, self.year, _SEGMENT_SHAPE)
        _check_part(_PUBLIC_ID_PART.fullmatch(self.public_id) is not None, _SEGMENT_SHAPE)

    @property
    def name(self) -> str:
        """The object's name in the bucket."""
        return f"{SEGMENTS}kind={self.kind}/year={self.year}/{self.public_id}.xml"

    @classmethod
    def parse(cls, name: str) -> SegmentName:
        """The parts of a segments object's name; ValueError for any other name."""
        part = _match(_SEGMENT_NAME, name, _SEGMENT_SHAPE)
        return cls(part["kind"], part["year"], part["public_id"])


@dataclass(frozen=True, slots=True)
class ManifestName:
    """A release's manifest."""

    release: uuid.UUID

    def __post_init__(self) -> None:
        _check_part(isinstance(self.release, uuid.UUID), _MANIFEST_SHAPE)

    @property
    def name(self) -> str:
        """The object's name in the bucket."""
        return f"{MANIFESTS}release={self.release}.json"

    @classmethod
    def parse(cls, name: str) -> ManifestName:
        """The release a manifest's name is of; ValueError for any other name."""
        return cls(_release(_match(_MANIFEST_NAME, name, _MANIFEST_SHAPE)["release"]))


@dataclass(frozen=True, slots=True)
class AuditHeadName:
    """A signed audit tree head, named by its size and Merkle root: written once."""

    size: int
    root: bytes

    def __post_init__(self) -> None:
        whole = isinstance(self.size, int) and not isinstance(self.size, bool)
        _check_part(whole and 0 <= self.size < 10**20 and len(self.root) == 32, _AUDIT_HEAD_SHAPE)

    @property
    def name(self) -> str:
        """The object's name in the bucket (and in the operator's container)."""
        return f"{AUDIT_HEADS}{self.size:012d}-{self.root.hex()}.json"

    @classmethod
    def parse(cls, name: str) -> AuditHeadName:
        """The size and root a head's name gives; ValueError for any other name."""
        part = _match(_AUDIT_HEAD_NAME, name, _AUDIT_HEAD_SHAPE)
        size = int(part["size"])
        _check_part(part["size"] == f"{size:012d}", _AUDIT_HEAD_SHAPE)  # no extra zeros
        return cls(size, bytes.fromhex(part["root"]))


PublicName: TypeAlias = RecordsName | SegmentName | ManifestName | AuditHeadName
_PARSERS: dict[str, Callable[[str], PublicName]] = {
    RECORDS: RecordsName.parse,
    SEGMENTS: SegmentName.parse,
    MANIFESTS: ManifestName.parse,
    AUDIT_HEADS: AuditHeadName.parse,
}


def parse_name(name: str) -> PublicName:
    """The parts of any name of the layout; ValueError for a name that is not of it."""
    parser = _PARSERS.get(name.split("/", 1)[0] + "/")
    if parser is None:
        raise ValueError(
            "not a name of the public bucket's layout: "
            "it starts records/, segments/, manifests/ or audit-heads/"
        )
    return parser(name)


def kind_of(name: str) -> str:
    """The kind of a records or segments object; ValueError for any other name."""
    parsed = parse_name(name)
    if not isinstance(parsed, RecordsName | SegmentName):
        raise ValueError("only records and segments objects are of a kind")
    return parsed.kind


def media_type(name: str) -> str:
    """The media type an object is written with: XML for segments, JSON for the rest;
    ValueError for a name that is not of the layout."""
    return "application/xml" if isinstance(parse_name(name), SegmentName) else "application/json"


# The messages name the expected shape, never the name: it may come from anyone's file.
def _match(pattern: re.Pattern[str], name: str, shape: str) -> re.Match[str]:
    match = pattern.fullmatch(name)
    if match is None:
        raise _refusal(shape)
    return match


def _check_partition(kind: object, year: object, shape: str) -> None:
    kind_ok = isinstance(kind, str) and _KIND_PART.fullmatch(kind) is not None
    _check_part(kind_ok and isinstance(year, str) and _YEAR_PART.fullmatch(year), shape)


def _check_part(ok: object, shape: str) -> None:
    if not ok:
        raise _refusal(shape)


def _refusal(shape: str) -> ValueError:
    return ValueError(f"not a name of the public bucket's layout: expected {shape}")


@functools.lru_cache(maxsize=1024)
def _release(text: str) -> uuid.UUID:
    """A release id as names spell it (``str(uuid)``); cached, since a manifest names its
    release in every records object it lists."""
    try:
        release = uuid.UUID(text)
    except ValueError:
        release = None
    if release is None or str(release) != text:
        raise ValueError("not a name of the public bucket's layout: a bad release id")
    return release


@dataclass(frozen=True, slots=True)
class Gate:
    """How a release passed the k-anonymity gate, as its manifest states it."""

    quasi_identifiers: tuple[str, ...]
    k_requested: int
    k_achieved: int
    generalisation: tuple[str, ...]
    records_in: int
    records_suppressed: int
    records_out: int


@dataclass(frozen=True, slots=True)
class Listed:
    """An object as a manifest lists it: its name, SHA-256 (hex) and size in bytes."""

    name: str
    sha256: str
    size: int

    @classmethod
    def of(cls, name: str, data: bytes) -> Listed:
        """The entry for an object of these bytes."""
        return cls(name, hashlib.sha256(data).hexdigest(), len(data))


@dataclass(frozen=True, slots=True)
class Manifest:
    """A release's manifest as the release writes it: the gate's facts and every object."""

    release: uuid.UUID
    published: date
    gate: Gate
    objects: tuple[Listed, ...]

    @classmethod
    def of(
        cls, release: uuid.UUID, published: date, gate: Gate, objects: Mapping[str, bytes]
    ) -> Manifest:
        """The manifest of a release of these objects (by name), listed in name order."""
        listed = tuple(Listed.of(name, data) for name, data in sorted(objects.items()))
        return cls(release, published, gate, listed)

    @property
    def name(self) -> str:
        """Where the manifest is written."""
        return ManifestName(self.release).name

    def to_bytes(self) -> bytes:
        """The manifest's canonical JSON, byte for byte what a published release holds."""
        document = {
            "format": MANIFEST_FORMAT,
            "release": str(self.release),
            "published": self.published.isoformat(),
            **dataclasses.asdict(self.gate),
            "objects": [
                {"name": o.name, "sha256": o.sha256, "bytes": o.size} for o in self.objects
            ],
        }
        return json.dumps(document, sort_keys=True, indent=2).encode() + b"\n"


@dataclass(frozen=True, slots=True)
class ListedRecords:
    """A records object as a published manifest lists it: its name (and the name's parts),
    hash and size."""

    name: str
    parts: RecordsName
    sha256: str
    size: int | None


@dataclass(frozen=True, slots=True)
class PublishedManifest:
    """What a reader takes from a published manifest: its release, date, k and records."""

    release: uuid.UUID
    published: str | None
    k_achieved: int
    records: int
    record_objects: tuple[ListedRecords, ...]


def read_manifest(name: str, data: bytes) -> PublishedManifest:
    """What the manifest ``data``, found at ``name``, says; ValueError when the name, the
    manifest or a records object it lists is not of the layout.

    Segment entries are not checked: nothing reads segment XML through a manifest.
    """
    release = ManifestName.parse(name).release
    try:
        manifest = json.loads(data)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
        raise ValueError("a manifest is JSON") from None
    if not isinstance(manifest, dict):
        raise ValueError("a manifest is a JSON object")
    if str(manifest.get("release", release)) != str(release):
        raise ValueError("the manifest is of another release than its name says")
    published = manifest.get("published")
    return PublishedManifest(
        release=release,
        published=published if isinstance(published, str) else None,
        k_achieved=_whole(manifest.get("k_achieved", 0)),
        records=_record_count(manifest),
        record_objects=tuple(_listed_records(release, manifest.get("objects"))),
    )


def _listed_records(release: uuid.UUID, listed: object) -> list[ListedRecords]:
    if not isinstance(listed, list):
        raise ValueError("a manifest lists its objects")
    found: list[ListedRecords] = []
    for entry in listed:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ValueError("every object a manifest lists has a name")
        if not entry["name"].startswith(RECORDS):
            continue
        parts = RecordsName.parse(entry["name"])
        if parts.release != release:
            raise ValueError("a manifest lists a records object of another release")
        sha256, size = entry.get("sha256"), entry.get("bytes")
        if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
            raise ValueError("every records object a manifest lists has a SHA-256")
        size = size if isinstance(size, int) else None
        found.append(ListedRecords(entry["name"], parts, sha256, size))
    return found


def _record_count(manifest: dict[str, Any]) -> int:
    if "records_out" in manifest:
        return _whole(manifest["records_out"])
    return _whole(manifest.get("records_in", 0)) - _whole(manifest.get("records_suppressed", 0))


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a manifest's counts are whole numbers")
    return value
