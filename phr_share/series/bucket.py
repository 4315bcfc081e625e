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

from phr_share.series.points import Point

__all__ = [
    "BUCKET_FORMAT",
    "columns_of",
    "decode",
    "encode",
    "merge",
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
    ordered = sorted(points, key=_sort_key)
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
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, _SCHEMA) as writer:
        writer.write_batch(batch)
    data: bytes = sink.getvalue().to_pybytes()
    return data


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
