"""The series worked on as columns: what a summary needs, and chart bins, without a Python
object per point. Pure: no I/O, no clock.

A year of five-minute glucose is 105,120 points; making a :class:`Point` of each costs
most of a second, while these column operations take milliseconds. :func:`summary_rows`
keeps only the rows a summary reads, and :func:`chart_columns` draws the same
:class:`~phr_share.series.view.ChartView` as ``chart_view`` straight from the columns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

from phr_share.series.glucose import CGM_MAX_GAP, CGM_MIN_RUN
from phr_share.series.points import GLUCOSE_CODES, GLUCOSE_MMOL, HEIGHT, MG_PER_MMOL, WEIGHT
from phr_share.series.view import (
    GLUCOSE_LINE,
    Bin,
    ChartLine,
    ChartView,
    Sample,
    bin_interval,
)
from phr_share.series.weight import CHANGES, KG_PER_LB

__all__ = ["chart_columns", "concat", "summary_rows"]

# How far before a window a summary looks: a sensor run that starts before it, and the
# weights its 30- and 90-day changes compare with (heights are kept from any time).
_RUN_MARGIN = CGM_MAX_GAP * (CGM_MIN_RUN - 1)
_WEIGHT_LOOKBACK = max(before + within for before, within in CHANGES)
_GLUCOSE = GLUCOSE_CODES | GLUCOSE_MMOL


def concat(tables: Iterable[pa.Table]) -> pa.Table | None:
    """The rows of several buckets' tables (same columns) as one; None for none."""
    found = list(tables)
    if not found:
        return None
    # Each bucket has its own code and unit dictionaries: unify them once.
    return pa.concat_tables(found).unify_dictionaries()


def summary_rows(table: pa.Table, start: datetime) -> pa.Table:
    """The rows a summary of a window starting at ``start`` can use: those from a little
    before the window on, the weights its changes compare with, and every height."""
    at = table.column("at")
    code = pc.cast(table.column("code"), pa.utf8())
    first = math.floor((start - _RUN_MARGIN).timestamp())
    weights_from = math.floor((start - _WEIGHT_LOOKBACK).timestamp())
    keep = pc.or_(
        pc.greater_equal(at, first),
        pc.or_(
            pc.equal(code, HEIGHT),
            pc.and_(pc.equal(code, WEIGHT), pc.greater_equal(at, weights_from)),
        ),
    )
    return table.filter(keep)


def chart_columns(
    table: pa.Table | None,
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    max_bins: int = 400,
) -> ChartView:
    """What ``chart_view`` draws of the same points, from their columns; raises
    ValueError as it does."""
    if start.utcoffset() is None or end.utcoffset() is None or end < start:
        raise ValueError("start and end must be aware, with start not after end")
    if max_bins < 1:
        raise ValueError("max_bins must be at least 1")
    if table is None or table.num_rows == 0:
        return ChartView(start, end, zone.key, ())
    base = start.astimezone(UTC)
    span = end.astimezone(UTC) - base
    width = bin_interval(span, max_bins)
    last_bin = max(math.ceil(span / timedelta(seconds=width)), 1) - 1
    frame = _frame(table, base, span, width, last_bin)
    counts = frame.group_by(["code", "unit"]).aggregate([("value", "count")])
    lines = []
    for key in sorted(zip(*counts.select(["code", "unit"]).to_pydict().values(), strict=True)):
        code, unit = frame.column("code"), frame.column("unit")
        mask = pc.and_(pc.equal(code, key[0]), pc.equal(unit, key[1]))
        lines.append(_line(frame.filter(mask), key, base, width, max_bins))
    return ChartView(start, end, zone.key, tuple(lines))


def _frame(table: pa.Table, base: datetime, span: timedelta, width: int, last_bin: int) -> pa.Table:
    """The rows of [base, base + span], each on its chart line (glucose in mmol/L as
    mg/dL, weight in lb as kg), with the bin it falls in."""
    offset = pc.subtract(pc.cast(table.column("at"), pa.float64()), base.timestamp())
    inside = pc.and_(pc.greater_equal(offset, 0.0), pc.less_equal(offset, span.total_seconds()))
    rows = table.filter(inside)
    offset = offset.filter(inside)
    code = pc.cast(rows.column("code"), pa.utf8())
    unit = pc.cast(rows.column("unit"), pa.utf8())
    mmol = pc.and_(pc.is_in(code, pa.array(sorted(_GLUCOSE))), pc.equal(unit, "mmol/L"))
    # A weight in pounds joins the weights in kg, as chart_view charts it.
    pounds = pc.and_(pc.equal(code, WEIGHT), pc.equal(unit, "[lb_av]"))
    value = rows.column("value")
    index = pc.min_element_wise(pc.floor(pc.divide(offset, float(width))), float(last_bin))
    return pa.table(
        {
            "code": pc.if_else(mmol, GLUCOSE_LINE, code),
            "unit": pc.if_else(mmol, "mg/dL", pc.if_else(pounds, "kg", unit)),
            "value": pc.if_else(
                mmol,
                pc.multiply(value, MG_PER_MMOL),
                pc.if_else(pounds, pc.multiply(value, KG_PER_LB), value),
            ),
            "at": rows.column("at"),
            "bin": pc.cast(index, pa.int64()),
        }
    )


def _line(
    frame: pa.Table, key: tuple[str, str], base: datetime, width: int, max_bins: int
) -> ChartLine:
    if frame.num_rows <= max_bins:
        ordered = frame.sort_by([("at", "ascending")])
        samples = tuple(
            Sample(datetime.fromtimestamp(at, UTC), value)
            for at, value in zip(
                ordered.column("at").to_pylist(), ordered.column("value").to_pylist(), strict=True
            )
        )
        return ChartLine(key[0], key[1], "full", samples=samples)
    grouped = (
        frame.group_by("bin")
        .aggregate([("value", "min"), ("value", "max"), ("value", "mean"), ("value", "count")])
        .sort_by("bin")
    )
    step = timedelta(seconds=width)
    bins = tuple(
        Bin(base + k * step, low, high, mean, n)
        for k, low, high, mean, n in zip(
            *(
                grouped.column(name).to_pylist()
                for name in ("bin", "value_min", "value_max", "value_mean", "value_count")
            ),
            strict=True,
        )
    )
    return ChartLine(key[0], key[1], width, bins=bins)
