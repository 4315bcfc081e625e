"""Flat research records as Parquet (pyarrow lives here and nowhere else).

The columns of a release record come first, in a fixed order and with fixed types, so
every export has the same schema even when empty; ``date`` is a real date and
``value`` a number (text such as "90+" in ``value_text``). Any other key (the
``release`` a pull adds, for one) follows in name order, typed from its values.

:func:`records_to_parquet` builds a file in memory from a list. :class:`ParquetStream`
writes one under a schema fixed before the first record: each batch of records is turned
into columns as it comes and a row group is written whenever ``ROW_GROUP_BYTES`` of
columns are waiting, so what it holds never grows with the number of records.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

from phr_share.errors import InvalidInput

__all__ = [
    "COLUMNS",
    "ROW_GROUP_BYTES",
    "ColumnTypes",
    "ParquetStream",
    "RecordSchema",
    "records_to_parquet",
]

# The FlatRecord fields (phr_share.deid.records) as a release publishes them.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("kind", "string"),
    ("pseudonym", "string"),
    ("age_band", "string"),
    ("sex", "string"),
    ("zip3", "string"),
    ("year", "string"),  # "2019", or a period "2015-2019" after generalisation
    ("date", "date"),
    ("statement", "string"),
    ("codes", "strings"),
    ("loinc", "string"),
    ("snomed", "string"),
    ("rxnorm", "string"),
    ("value", "float"),  # the number measured, where it is one
    ("value_text", "string"),  # else the value as written, such as "90+"
    ("unit", "string"),
    ("narrative", "string"),
)
_KNOWN = frozenset(name for name, _ in COLUMNS)
_TYPES = {
    "string": pa.string(),
    "date": pa.date32(),
    "strings": pa.list_(pa.string()),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "json": pa.string(),  # any other value, as its JSON text
}
# Columns waiting to be written, at most: a Parquet row group costs its footer entry
# and a fixed time of its own, so one per small object would grow with the pull.
ROW_GROUP_BYTES = 1 << 20


class RecordSchema:
    """The columns of an export: the release record's, then ``extra`` in name order."""

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        self.columns = (*COLUMNS, *sorted((extra or {}).items()))
        self.names = frozenset(name for name, _ in self.columns)
        self.arrow = pa.schema([pa.field(name, _TYPES[kind]) for name, kind in self.columns])

    def fits(self, records: Iterable[Mapping[str, Any]], constants: Iterable[str] = ()) -> bool:
        """Whether every key of these records (besides ``constants``) has a column."""
        outside = self.names | set(constants)
        return all(key in outside for record in records for key in record)

    def batch(
        self, records: Sequence[Mapping[str, Any]], constants: Mapping[str, Any] | None = None
    ) -> pa.RecordBatch:
        """The records as columns, each with ``constants`` set over its own keys.

        Raises InvalidInput for a malformed date.
        """
        constants = constants or {}
        arrays = []
        for name, kind in self.columns:
            if name in constants:
                values = [_convert(constants[name], kind)] * len(records)
            else:
                values = [_convert(record.get(name), kind) for record in records]
            arrays.append(pa.array(values, type=_TYPES[kind]))
        return pa.RecordBatch.from_arrays(arrays, schema=self.arrow)


class ColumnTypes:
    """The type of every key outside the release format, from the values seen so far."""

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}

    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Note the kinds of value each extra key holds in these records."""
        for record in records:
            for key, value in record.items():
                if key not in _KNOWN:
                    seen = self._seen.setdefault(key, set())
                    if value is not None:
                        seen.add(_class(value))

    def schema(self) -> RecordSchema:
        """The schema that holds every record noted."""
        return RecordSchema({key: _infer(seen) for key, seen in self._seen.items()})


class ParquetStream:
    """A Parquet file (zstd) written as batches come, whole or not at all.

    Rows go to a temporary file beside ``path``, renamed over it by :meth:`close`;
    :meth:`abort` (or leaving a ``with`` block by an exception) removes it.
    """

    def __init__(self, path: Path, schema: RecordSchema, row_group_bytes: int | None = None):
        self.path, self.schema = path, schema
        self.row_group_bytes = ROW_GROUP_BYTES if row_group_bytes is None else row_group_bytes
        self.rows = self.row_groups = 0
        self._temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._writer = pq.ParquetWriter(self._temporary, schema.arrow, compression="zstd")
        self._waiting: list[pa.RecordBatch] = []
        self._waiting_bytes = 0
        self._open = True

    def add(self, batch: pa.RecordBatch) -> None:
        """Queue a batch, writing a row group once enough columns wait."""
        self._waiting.append(batch)
        self._waiting_bytes += batch.get_total_buffer_size()  # nbytes walks every slice
        self.rows += batch.num_rows
        if self._waiting_bytes >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if self._waiting:
            table = pa.Table.from_batches(self._waiting, schema=self.schema.arrow)
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
            self.row_groups += 1
        self._waiting, self._waiting_bytes = [], 0

    def close(self) -> None:
        """Write what waits and the footer, then put the file in place."""
        if not self._open:
            return
        self._open = False
        self._flush()
        self._writer.close()
        with self._temporary.open("rb") as file:
            os.fsync(file.fileno())
        self._temporary.replace(self.path)

    def abort(self) -> None:
        """Drop the file being written; the one at ``path`` (if any) is left as it was."""
        if not self._open:
            return
        self._open = False
        with contextlib.suppress(Exception):
            self._writer.close()
        self._temporary.unlink(missing_ok=True)
        self._waiting = []

    def __enter__(self) -> ParquetStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def records_to_parquet(records: Sequence[dict[str, Any]]) -> bytes:
    """The records as Parquet bytes (zstd); raises InvalidInput for a malformed date."""
    types = ColumnTypes()
    types.add(records)
    schema = types.schema()
    table = pa.Table.from_batches([schema.batch(records)], schema=schema.arrow)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "float":  # a release published before values were numbers holds text
        return _number(value)
    if kind == "date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise InvalidInput("a record's date is not an ISO 8601 date") from None
    if kind in ("string", "json") and not isinstance(value, str):
        return _json(value)
    if kind == "strings":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return value


def _number(value: object) -> float | None:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _class(value: object) -> str:
    """What kind of JSON value this is, as far as choosing a column type goes."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list) and all(isinstance(i, str) for i in value):
        return "strings"
    return "other"


def _infer(seen: set[str]) -> str:
    """A column type for a key outside the release format, from its values' classes."""
    if not seen:
        return "string"
    if "bool" in seen:
        return "bool" if seen == {"bool"} else "json"
    if seen == {"int"}:
        return "int"
    if seen <= {"int", "float"}:
        return "float"
    if seen == {"string"}:
        return "string"
    if seen == {"strings"}:
        return "strings"
    return "json"


def _json(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
