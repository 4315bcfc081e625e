"""What the public research bucket holds, read from its release manifests only.

A release is visible once its manifest exists (the manifest is written last), so the
catalogue lists manifests and trusts nothing else: every record object is named, with
its SHA-256, by the manifest of its release, and is checked against it when read.
Object names are parsed by the published layout (:mod:`phr_share.public_layout`) before
they are used as local paths, so a manifest cannot name a file outside the researcher's
directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from phr_share.errors import IntegrityError, NotFound, ObjectNotFound
from phr_share.public_layout import MANIFESTS, ManifestName, PublishedManifest, read_manifest
from phr_share.research.query import RecordQuery, last_year
from phr_share.storage.base import BlobStore

__all__ = [
    "RecordObject",
    "ReleaseInfo",
    "catalogue",
    "fetch_object",
    "parse_jsonl",
    "records_to_jsonl",
    "release_info",
    "release_records",
]


@dataclass(frozen=True, slots=True)
class RecordObject:
    """One JSON Lines object of records as its release's manifest lists it."""

    release_id: str
    name: str
    kind: str
    year: str  # "2019", a generalised period "2015-2019", or "unknown"
    sha256: str
    size: int | None

    @property
    def last_year(self) -> int | None:
        """The last calendar year the object covers; None when its period is unknown."""
        return last_year(self.year)


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """A published release: what it covers, how anonymous it is, and its manifest's hash."""

    release_id: str
    published: str | None
    kinds: tuple[str, ...]
    period: tuple[str, ...]
    records: int
    k_achieved: int
    manifest_name: str
    manifest_sha256: str
    objects: tuple[RecordObject, ...]


def catalogue(store: BlobStore, bucket: str) -> list[ReleaseInfo]:
    """Every published release, oldest first; raises IntegrityError for a bad manifest."""
    releases: list[ReleaseInfo] = []
    for name in store.list(bucket, MANIFESTS):
        if not _is_manifest(name):
            continue
        # A release being cleaned up may lose its manifest between list and get.
        with contextlib.suppress(ObjectNotFound):
            releases.append(_read_manifest(store, bucket, name))
    return sorted(releases, key=lambda r: (r.published or "", r.release_id))


def release_info(store: BlobStore, bucket: str, release_id: str) -> ReleaseInfo:
    """One release by id; raises NotFound (no such release) or IntegrityError."""
    try:
        name = ManifestName(uuid.UUID(release_id)).name
    except ValueError:
        raise NotFound("no such release") from None
    try:
        return _read_manifest(store, bucket, name)
    except ObjectNotFound:
        raise NotFound("no such release") from None


def release_records(
    store: BlobStore, bucket: str, release_id: str, query: RecordQuery | None = None
) -> list[dict[str, Any]]:
    """The records of one release that answer ``query``; raises NotFound or IntegrityError.

    Only the objects of the asked kind are fetched; each is checked whole against its
    manifest hash before any of its records is filtered.
    """
    query = query or RecordQuery()
    info = release_info(store, bucket, release_id)
    records: list[dict[str, Any]] = []
    for obj in info.objects:
        if query.kind is None or obj.kind == query.kind:
            fetched = parse_jsonl(fetch_object(store, bucket, obj))
            records.extend(fetched if query.empty else filter(query.matches, fetched))
    return records


def fetch_object(store: BlobStore, bucket: str, obj: RecordObject) -> bytes:
    """An object's bytes, checked against its manifest hash; raises IntegrityError."""
    data = store.get(bucket, obj.name).data
    if hashlib.sha256(data).hexdigest() != obj.sha256:
        raise IntegrityError()
    return data


def records_to_jsonl(records: Iterable[Mapping[str, Any]]) -> bytes:
    """Records as JSON Lines, keys sorted (the inverse of :func:`parse_jsonl`)."""
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode("utf-8")


def parse_jsonl(data: bytes) -> list[dict[str, Any]]:
    """The JSON objects of a JSON Lines text; raises IntegrityError when it is not one."""
    records: list[dict[str, Any]] = []
    try:
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise IntegrityError()
                records.append(record)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
        raise IntegrityError() from None
    return records


def _is_manifest(name: str) -> bool:
    try:
        ManifestName.parse(name)
    except ValueError:
        return False
    return True


def _read_manifest(store: BlobStore, bucket: str, name: str) -> ReleaseInfo:
    blob = store.get(bucket, name)
    digest = hashlib.sha256(blob.data).hexdigest()
    if blob.metadata.get("sha256", digest) != digest:
        raise IntegrityError()
    try:
        manifest = read_manifest(name, blob.data)
    except ValueError:
        raise IntegrityError() from None
    release_id = str(manifest.release)
    objects = tuple(_record_objects(release_id, manifest))
    return ReleaseInfo(
        release_id=release_id,
        published=manifest.published,
        kinds=tuple(sorted({o.kind for o in objects})),
        period=tuple(sorted({o.year for o in objects})),
        records=manifest.records,
        k_achieved=manifest.k_achieved,
        manifest_name=name,
        manifest_sha256=digest,
        objects=objects,
    )


def _record_objects(release_id: str, manifest: PublishedManifest) -> Iterator[RecordObject]:
    """The record objects a manifest lists (segment XML is not pulled)."""
    return (
        RecordObject(
            release_id=release_id,
            name=listed.name,
            kind=listed.parts.kind,
            year=listed.parts.year,
            sha256=listed.sha256,
            size=listed.size,
        )
        for listed in manifest.record_objects
    )
