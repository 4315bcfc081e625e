"""One month of one kind of a patient's series, packed in columns: the plaintext a series
bucket seals. Pure: no I/O, no clock, no keys.

A bucket is an Arrow IPC stream of one record batch, sorted by time, with the columns::

    at      int64    seconds since 1970-01-01 UTC
    offset  int16    the UTC offset the time was recorded with, in minutes
    value   float64  in ``unit``
    code    dictionary<int16, utf8>   LOINC code (or MOOD)
    unit    dictionary<int16, utf8>   UCUM unit
    source  fixed_size_binary(16)     tracking id of the segment the point came from

A year of five-minute sensor glucose (105,120 points) is about 4 MB in twelve buckets
(38 bytes a point),
where one JSON object per point would be several times that, and a month opens with one
call rather than a parse per point. The stream's schema carries the format version, and
:func:`decode` refuses any other.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

from phr_share.series.points import Point

__all__ = [
    "BUCKET_FORMAT",
    "columns_of",
    "decode",
    "encode",
    "encode_columns",
    "merge",
    "merge_columns",
    "month_of",
    "points_of",
]

BUCKET_FORMAT = 1
_FORMAT_KEY = b"phr-share-series"
_CODED = pa.dictionary(pa.int16(), pa.utf8())
_SCHEMA = pa.schema(
    [
        pa.field("at", pa.int64(), nullable=False),
        pa.field("offset", pa.int16(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("code", _CODED, nullable=False),
        pa.field("unit", _CODED, nullable=False),
        pa.field("source", pa.binary(16), nullable=False),
    ],
    metadata={_FORMAT_KEY: str(BUCKET_FORMAT).encode()},
)


def month_of(at: datetime) -> str:
    """The bucket a time falls in: its calendar month in UTC, ``yyyy-mm``."""
    return at.astimezone(UTC).strftime("%Y-%m")


def _sort_key(point: Point) -> tuple[datetime, str, bytes, float]:
    return (point.at, point.code, point.source.bytes, point.value)


def encode(points: Iterable[Point]) -> bytes:
    """The bucket bytes of ``points`` (one kind, any order; stored sorted by time).

    Raises ValueError for a naive time or a value that is not finite."""
    return encode_columns(_columns(sorted(points, key=_sort_key)))


def encode_columns(table: pa.Table) -> bytes:
    """The bucket bytes of columns in this format (``columns_of`` or ``merge_columns``)."""
    table = table.unify_dictionaries().combine_chunks().replace_schema_metadata(_SCHEMA.metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, _SCHEMA) as writer:
        writer.write_table(table)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def _columns(ordered: Sequence[Point]) -> pa.Table:
    """The columns of points, in the order given; ValueError as :func:`encode`."""
    ats, offsets, values = [], [], []
    for point in ordered:
        offset = point.at.utcoffset()
        if offset is None:
            raise ValueError("a series point needs an aware time")
        if not math.isfinite(point.value):
            raise ValueError("a series value must be finite")
        ats.append(math.floor(point.at.timestamp()))
        offsets.append(int(offset.total_seconds() // 60))
        values.append(float(point.value))
    batch = pa.record_batch(
        [
            pa.array(ats, pa.int64()),
            pa.array(offsets, pa.int16()),
            pa.array(values, pa.float64()),
            _coded([p.code for p in ordered]),
            _coded([p.unit for p in ordered]),
            pa.array([p.source.bytes for p in ordered], pa.binary(16)),
        ],
        schema=_SCHEMA,
    )
    return pa.Table.from_batches([batch], _SCHEMA)


def _coded(texts: list[str]) -> pa.Array:
    """A column of few distinct strings, each stored once (as the schema's dictionary)."""
    return pa.array(texts, pa.utf8()).dictionary_encode().cast(_CODED)


def columns_of(data: bytes) -> pa.Table:
    """The columns of one bucket, without making a Python object per point.

    Raises ValueError for bytes that are not a bucket of this format."""
    try:
        table: pa.Table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    except (pa.ArrowInvalid, OSError) as error:
        raise ValueError("not a series bucket") from error
    metadata = table.schema.metadata or {}
    if metadata.get(_FORMAT_KEY) != str(BUCKET_FORMAT).encode():
        raise ValueError("a series bucket of an unknown format")
    if not table.schema.remove_metadata().equals(_SCHEMA.remove_metadata()):
        raise ValueError("a series bucket with unexpected columns")
    return table


def points_of(table: pa.Table, kind: str) -> list[Point]:
    """The points of bucket columns, oldest first, each of ``kind``."""
    # A bucket has few offsets and few sources (one per sitting, one per device import).
    zones: dict[int, timezone] = {}
    sources: dict[bytes, uuid.UUID] = {}
    points = []
    columns = [table.column(name).to_pylist() for name in _SCHEMA.names]
    for at, offset, value, code, unit, source in zip(*columns, strict=True):
        zone = zones.get(offset)
        if zone is None:
            zone = zones[offset] = timezone(timedelta(minutes=offset))
        tracking = sources.get(source)
        if tracking is None:
            tracking = sources[source] = uuid.UUID(bytes=source)
        points.append(Point(code, value, unit, datetime.fromtimestamp(at, zone), tracking, kind))
    return points


def decode(data: bytes, kind: str) -> list[Point]:
    """The points of one bucket, oldest first; raises ValueError as :func:`columns_of`."""
    return points_of(columns_of(data), kind)


def merge(
    existing: Sequence[Point], removed: frozenset[uuid.UUID], added: Iterable[Point]
) -> list[Point]:
    """A bucket's points after a document: those of ``removed`` sources go, ``added``
    come in; a point already there (same source, code, time and value) is not doubled."""
    kept = [p for p in existing if p.source not in removed]
    seen = {_sort_key(p) for p in kept}
    for point in added:
        key = _sort_key(point)
        if key not in seen:
            seen.add(key)
            kept.append(point)
    return sorted(kept, key=_sort_key)


def merge_columns(
    table: pa.Table | None, removed: frozenset[uuid.UUID], added: Sequence[Point]
) -> pa.Table | None:
    """:func:`merge` on a bucket's columns, without a Python object per stored point: the
    rows of ``removed`` sources go, ``added`` points come in (one already there is not
    doubled), sorted by time; None when that changes nothing. ValueError as encode."""
    kept = table
    changed = False
    if kept is not None and removed:
        gone = pa.array([s.bytes for s in removed], pa.binary(16))
        keep = pc.invert(pc.is_in(kept.column("source"), gone))
        changed = pc.sum(keep).as_py() != kept.num_rows
        kept = kept.filter(keep)
    fresh = _not_in(kept, added)
    if not fresh and not changed:
        return None
    parts = [t for t in (kept, _columns(fresh) if fresh else None) if t is not None]
    merged = pa.concat_tables(parts).unify_dictionaries().combine_chunks()
    return merged.sort_by([("at", "ascending")])


def _not_in(table: pa.Table | None, added: Sequence[Point]) -> list[Point]:
    """Those of ``added`` (each once) that the columns do not hold already."""
    seen: set[tuple[int, str, bytes, float]] = set()
    if table is not None and added:
        ats = pa.array(sorted({math.floor(p.at.timestamp()) for p in added}), pa.int64())
        near = table.filter(pc.is_in(table.column("at"), ats))
        columns = [near.column(n).to_pylist() for n in ("at", "code", "source", "value")]
        seen = set(zip(*columns, strict=True))
    fresh = []
    for point in sorted(added, key=_sort_key):
        key = (math.floor(point.at.timestamp()), point.code, point.source.bytes, point.value)
        if key not in seen:
            seen.add(key)
            fresh.append(point)
    return fresh
