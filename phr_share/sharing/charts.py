"""What a patient's dashboard shows, read from the series: the chronic-care summary and
the chart of every charted measure, one decision and one audited read per kind.

The segments are not read: a dashboard costs the same few bucket reads whether the
patient measured for a month or for years (see ``bench/series.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

from phr_share.consent import Principal, Purpose
from phr_share.models import SegmentKind
from phr_share.series import Summary, summarise
from phr_share.series.bucket import points_of
from phr_share.series.columns import chart_columns, concat, summary_rows
from phr_share.series.summary import make_window
from phr_share.series.view import ChartView
from phr_share.sharing.series import SeriesRead, read_series
from phr_share.sharing.services import Services

__all__ = ["CHARTED_KINDS", "Dashboard", "dashboard_of", "summary_of", "summary_of_read"]

# The kinds whose measurements are charted and summarised: vital signs, and the patient's
# own account (pain, mood) and lifestyle (activity). Results are kept in the series but
# are a clinic's figures, not the patient's own readings.
CHARTED_KINDS = frozenset(
    {
        SegmentKind.PHYSICAL_SIGNS,
        SegmentKind.BODY_MEASURES,
        SegmentKind.PATIENT_NARRATIVE,
        SegmentKind.LIFESTYLE,
    }
)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The summary of the window, and the chart of ``chart`` (every line, binned when
    long); ``denied`` names the kinds the reader may not see, which add nothing, and
    ``series`` is what was read (a page passes it on rather than read it again)."""

    summary: Summary
    chart: ChartView
    denied: frozenset[SegmentKind]
    series: SeriesRead
    chart_days: int | None  # the span charted: days back from now, None for every reading


def dashboard_of(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    *,
    days: int = 14,
    chart_days: int | None = 91,
    zone: ZoneInfo | None = None,
    purpose: Purpose = Purpose.TREATMENT,
    max_bins: int = 400,
    or_all: bool = False,
    bp_target: tuple[int, int] = (130, 80),
) -> Dashboard:
    """The summary of the last ``days`` days and the chart of the last ``chart_days``
    (three months unless asked; every reading when None) in ``zone`` (UTC when not
    given), from the series of the kinds the principal may read; with ``or_all``, every
    reading when none falls in that span; the summary counts readings at or above
    ``bp_target``. Raises ValueError for days outside 1..3650."""
    zone = zone or ZoneInfo("UTC")
    now = svc.clock()
    window = make_window(now, zone, days)
    read = read_series(svc, principal, patient_id, kinds=CHARTED_KINDS, purpose=purpose)
    table = concat(read.tables.values())
    summary = _summary(table, window.start, now=now, zone=zone, days=days, bp_target=bp_target)
    start = _chart_start(table, now, chart_days)
    chart = chart_columns(table, start=start, end=now, zone=zone, max_bins=max_bins)
    if or_all and not chart.lines and chart_days is not None and table is not None:
        chart_days = None
        start = _chart_start(table, now, None)
        chart = chart_columns(table, start=start, end=now, zone=zone, max_bins=max_bins)
    return Dashboard(summary, chart, read.denied, read, chart_days)


def summary_of(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    *,
    days: int = 14,
    zone: ZoneInfo | None = None,
    purpose: Purpose = Purpose.TREATMENT,
) -> Summary:
    """The chronic-care summary (home blood pressure, glucose, continuous glucose, weight)
    of the last ``days`` days in ``zone`` (UTC when not given), from the series of the
    kinds the principal may read: a kind the decision point refuses adds nothing, and
    each kind read is audited. Raises ValueError for days outside 1..3650."""
    zone = zone or ZoneInfo("UTC")
    now = svc.clock()
    window = make_window(now, zone, days)
    read = read_series(svc, principal, patient_id, kinds=CHARTED_KINDS, purpose=purpose)
    table = concat(read.tables.values())
    return _summary(table, window.start, now=now, zone=zone, days=days)


def summary_of_read(
    read: SeriesRead,
    *,
    now: datetime,
    days: int,
    zone: ZoneInfo,
    bp_target: tuple[int, int] = (130, 80),
) -> Summary:
    """The summary of the last ``days`` days of series already read (a dashboard's):
    nothing is read again. Raises ValueError for days outside 1..3650."""
    window = make_window(now, zone, days)
    table = concat(read.tables.values())
    return _summary(table, window.start, now=now, zone=zone, days=days, bp_target=bp_target)


def _summary(
    table: pa.Table | None,
    start: datetime,
    *,
    now: datetime,
    zone: ZoneInfo,
    days: int,
    bp_target: tuple[int, int] = (130, 80),
) -> Summary:
    points = [] if table is None else points_of(summary_rows(table, start), "")
    return summarise(points, now=now, zone=zone, days=days, bp_target=bp_target)


def _chart_start(table: pa.Table | None, now: datetime, chart_days: int | None) -> datetime:
    if chart_days is not None:
        return now - timedelta(days=chart_days)
    if table is None or table.num_rows == 0:
        return now
    first = pc.min(table.column("at")).as_py()
    return min(now, datetime.fromtimestamp(first, now.tzinfo))
