"""Flat research records as one Parquet file (pyarrow lives here and nowhere else).

The columns of a release record come first, in a fixed order and with fixed types, so
every export has the same schema even when empty; ``date`` is a real date and
``value`` a number (text such as "90+" in ``value_text``). Any other key (the
``release`` a pull adds, for one) follows in name order, typed from its values.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

from phr_share.errors import InvalidInput

__all__ = ["COLUMNS", "records_to_parquet"]

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
_TYPES = {
    "string": pa.string(),
    "date": pa.date32(),
    "strings": pa.list_(pa.string()),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
}


def records_to_parquet(records: Sequence[dict[str, Any]]) -> bytes:
    """The records as Parquet bytes (zstd); raises InvalidInput for a malformed date."""
    known = [name for name, _ in COLUMNS]
    extra = sorted({key for record in records for key in record} - set(known))
    arrays, fields = [], []
    for name, kind in [*COLUMNS, *((key, _infer(records, key)) for key in extra)]:
        values = [_cell(record, name, kind) for record in records]
        if kind == "json":
            kind, values = "string", [_json(v) for v in values]
        arrays.append(pa.array(values, type=_TYPES[kind]))
        fields.append(pa.field(name, _TYPES[kind]))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _cell(record: dict[str, Any], name: str, kind: str) -> Any:
    value = record.get(name)
    if value is None:
        return None
    if kind == "float":  # a release published before values were numbers holds text
        return _number(value)
    if kind == "date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise InvalidInput("a record's date is not an ISO 8601 date") from None
    if kind == "string" and not isinstance(value, str):
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


def _infer(records: Sequence[dict[str, Any]], key: str) -> str:
    """A column type for a key outside the release format, from its non-null values."""
    values = [r[key] for r in records if r.get(key) is not None]
    if all(isinstance(v, bool) for v in values):
        return "bool" if values else "string"
    if any(isinstance(v, bool) for v in values):
        return "json"
    if all(isinstance(v, int) for v in values):
        return "int"
    if all(isinstance(v, int | float) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in values):
        return "strings"
    return "json"


def _json(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
