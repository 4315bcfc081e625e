"""Chronic-care summaries of a patient's series: blood pressure, glucose, CGM and weight.

Pure: no I/O, no clock (``now`` is a parameter). :func:`summarise` walks the points once,
keeping those each figure needs, and composes :mod:`~phr_share.series.pressure`,
:mod:`~phr_share.series.glucose` and :mod:`~phr_share.series.weight`.
:func:`summary_json` is the JSON the API answers, described by ``SUMMARY_JSON_SCHEMA``;
the dataclasses hold exact numbers, and only :func:`display` rounds them for people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from phr_share.series.glucose import (
    BANDS,
    CGM_MAX_GAP,
    CGM_MIN_RUN,
    PERCENTILES,
    SLOTS,
    BandCount,
    CgmSummary,
    GlucoseReading,
    GlucoseSummary,
    glucose_reading,
    split_runs,
    summarise_cgm,
    summarise_glucose,
)
from phr_share.series.points import (
    DIASTOLIC,
    GLUCOSE_CODES,
    GLUCOSE_MMOL,
    HEIGHT,
    SYSTOLIC,
    WEIGHT,
    Point,
)
from phr_share.series.pressure import PeriodMeans, PressureSummary, summarise_pressure
from phr_share.series.weight import Measure, WeightSummary, height_m, summarise_weight, weight_kg

__all__ = [
    "MAX_DAYS",
    "SUMMARY_JSON_SCHEMA",
    "WINDOWS",
    "Summary",
    "Window",
    "display",
    "duration",
    "make_window",
    "percent",
    "summarise",
    "summary_json",
]

WINDOWS = (14, 30, 90)
MAX_DAYS = 3650
_GLUCOSE = GLUCOSE_CODES | GLUCOSE_MMOL
# A sensor run that starts before the window is still recognised from its readings inside
# it: the readings it lacks to be a run lie at most this far before the window's start.
_RUN_MARGIN = CGM_MAX_GAP * (CGM_MIN_RUN - 1)


@dataclass(frozen=True, slots=True)
class Window:
    """The summarised span, start and end included, and the patient's time zone."""

    start: datetime
    end: datetime
    days: int
    zone: str


@dataclass(frozen=True, slots=True)
class Summary:
    """Every figure of one window; ``cgm`` is None when the window holds no sensor data."""

    window: Window
    bp: PressureSummary
    glucose: GlucoseSummary
    cgm: CgmSummary | None
    weight: WeightSummary


def make_window(now: datetime, zone: ZoneInfo, days: int) -> Window:
    """[local midnight of (today - days + 1), now]; ValueError for a naive now or bad days."""
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    # Through UTC and back: a midnight that a daylight-saving change skips becomes the
    # first instant of that local day.
    start = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC).astimezone(zone)
    return Window(start, now.astimezone(zone), days, zone.key)


@dataclass(slots=True)
class _Parts:
    pressure: list[Point]
    glucose: list[GlucoseReading]
    weights: list[Measure]
    heights: list[Measure]


def _collect(points: Iterable[Point], window: Window) -> _Parts:
    """One walk over the points, keeping what each summary needs."""
    # Comparing datetimes of one tzinfo skips the UTC offset lookups; points are mostly UTC.
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    early = start - _RUN_MARGIN
    parts = _Parts([], [], [], [])
    for point in points:
        code, at = point.code, point.at
        if code in _GLUCOSE:
            reading = glucose_reading(point) if early <= at <= end else None
            if reading is not None:
                parts.glucose.append(reading)
        elif code in (SYSTOLIC, DIASTOLIC):
            if start <= at <= end:
                parts.pressure.append(point)
        elif code in (WEIGHT, HEIGHT) and at <= end:
            measure = weight_kg(point) if code == WEIGHT else height_m(point)
            if measure is not None:
                (parts.weights if code == WEIGHT else parts.heights).append(measure)
    return parts


def summarise(
    points: Iterable[Point],
    *,
    now: datetime,
    zone: ZoneInfo,
    days: int = 14,
    bp_target: tuple[int, int] = (130, 80),
) -> Summary:
    """Summarise the window of ``days`` local days ending at ``now`` (see make_window)."""
    window = make_window(now, zone, days)
    parts = _collect(points, window)
    single, runs = split_runs(parts.glucose)
    start, end = window.start, window.end
    return Summary(
        window=window,
        bp=summarise_pressure(parts.pressure, zone=zone, target=bp_target),
        glucose=summarise_glucose([r for r in single if r.at >= start], zone=zone),
        cgm=summarise_cgm(runs, start=start, end=end, days=days, zone=zone),
        weight=summarise_weight(parts.weights, parts.heights, start=start, end=end),
    )


def _num(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _iso(at: datetime | None, zone: ZoneInfo) -> str | None:
    return None if at is None else at.astimezone(zone).isoformat()


def _means_json(means: PeriodMeans) -> dict[str, Any]:
    return {
        "readings": means.readings,
        "mean_systolic": _num(means.mean_systolic),
        "mean_diastolic": _num(means.mean_diastolic),
    }


def _bp_json(bp: PressureSummary, zone: ZoneInfo) -> dict[str, Any]:
    highest = bp.highest
    return {
        "readings": bp.readings,
        "pairs": bp.pairs,
        "days": bp.days,
        "mean_systolic": _num(bp.mean_systolic),
        "mean_diastolic": _num(bp.mean_diastolic),
        "morning": _means_json(bp.morning),
        "evening": _means_json(bp.evening),
        "target": {"systolic": bp.target[0], "diastolic": bp.target[1]},
        "share_at_or_above_target": _num(bp.share_at_or_above_target),
        "highest": None
        if highest is None
        else {
            "systolic": _num(highest.systolic),
            "diastolic": _num(highest.diastolic),
            "at": _iso(highest.at, zone),
        },
    }


def _bands_json(bands: Iterable[BandCount], minutes: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for b in bands:
        out[b.band] = {"count": b.count, "share": _num(b.share)}
        if minutes:
            out[b.band]["minutes"] = _num(b.minutes_per_day)
    return out


def _glucose_json(glucose: GlucoseSummary) -> dict[str, Any]:
    return {
        "readings": glucose.readings,
        "days": glucose.days,
        "mean": _num(glucose.mean),
        "sd": _num(glucose.sd),
        "cv": _num(glucose.cv),
        "gmi": _num(glucose.gmi),
        "gmi_needs_days": glucose.gmi_needs_days,
        "unit": "mg/dL",
        "bands": _bands_json(glucose.bands, minutes=False),
    }


def _cgm_json(cgm: CgmSummary | None) -> dict[str, Any] | None:
    if cgm is None:
        return None
    agp = []
    for slot in cgm.agp:
        figures = slot.percentiles or (None,) * len(PERCENTILES)
        entry: dict[str, Any] = {"slot": slot.start.strftime("%H:%M"), "readings": slot.readings}
        entry.update({f"p{p}": _num(v) for p, v in zip(PERCENTILES, figures, strict=True)})
        agp.append(entry)
    return {
        "readings": cgm.readings,
        "days": cgm.days,
        "captured_share": _num(cgm.captured_share),
        "sufficient": cgm.sufficient,
        "mean": _num(cgm.mean),
        "sd": _num(cgm.sd),
        "cv": _num(cgm.cv),
        "gmi": _num(cgm.gmi),
        "unit": "mg/dL",
        "bands": _bands_json(cgm.bands, minutes=True),
        "agp": agp,
    }


def _weight_json(weight: WeightSummary, zone: ZoneInfo) -> dict[str, Any]:
    latest = weight.latest
    return {
        "readings": weight.readings,
        "latest": None
        if latest is None
        else {"kg": _num(latest.value), "at": _iso(latest.at, zone)},
        "change_30d_kg": _num(weight.change_30d_kg),
        "change_90d_kg": _num(weight.change_90d_kg),
        "bmi": _num(weight.bmi),
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    """The summary as the API answers it (numbers to 3 decimals, times in local ISO 8601)."""
    window = summary.window
    zone = ZoneInfo(window.zone)
    return {
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "days": window.days,
            "time_zone": window.zone,
        },
        "bp": _bp_json(summary.bp, zone),
        "glucose": _glucose_json(summary.glucose),
        "cgm": _cgm_json(summary.cgm),
        "weight": _weight_json(summary.weight, zone),
        "display": display(summary),
    }


def _fixed(value: float, places: int = 0) -> Decimal:
    """Half-up rounding of the value as written (repr), so 2.675 is 2.68, not 2.67."""
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def percent(share: float) -> str:
    """A share (0 to 1) as people read it, a whole percent rounded half up: "74%"."""
    return f"{_fixed(share * 100)}%"


def duration(minutes: float) -> str:
    """Minutes as hours and minutes, rounded half up to the minute: "17 h 46 min"."""
    whole = int(_fixed(minutes))
    return f"{whole // 60} h {whole % 60:02d} min"


def _signed_kg(value: float) -> str:
    rounded = _fixed(value, 1)
    return f"{rounded:+} kg" if rounded else f"{rounded} kg"


def _figures(summary: Summary) -> Iterable[tuple[str, float | None, Callable[[float], str]]]:
    """(key, value, formatter) for every figure a person reads."""

    def mmhg(value: float) -> str:
        return f"{_fixed(value)} mmHg"

    def mgdl(value: float) -> str:
        return f"{_fixed(value)} mg/dL"

    bp, glucose, cgm, weight = summary.bp, summary.glucose, summary.cgm, summary.weight
    for name, means in (("bp", bp), ("bp.morning", bp.morning), ("bp.evening", bp.evening)):
        yield f"{name}.mean_systolic", means.mean_systolic, mmhg
        yield f"{name}.mean_diastolic", means.mean_diastolic, mmhg
    yield "bp.share_at_or_above_target", bp.share_at_or_above_target, percent
    for name, figures in (("glucose", glucose), ("cgm", cgm)):
        if figures is None:
            continue
        yield f"{name}.mean", figures.mean, mgdl
        yield f"{name}.sd", figures.sd, mgdl
        yield f"{name}.cv", figures.cv, percent
        yield f"{name}.gmi", figures.gmi, lambda v: f"{_fixed(v, 1)}%"
        for b in figures.bands:
            yield f"{name}.bands.{b.band}", b.share, percent
    if cgm is not None:
        yield "cgm.captured_share", cgm.captured_share, percent
        for b in cgm.bands:
            yield f"cgm.bands.{b.band}.per_day", b.minutes_per_day, duration
    yield "weight.latest", None if weight.latest is None else weight.latest.value, _kg
    yield "weight.change_30d", weight.change_30d_kg, _signed_kg
    yield "weight.change_90d", weight.change_90d_kg, _signed_kg
    yield "weight.bmi", weight.bmi, lambda v: f"{_fixed(v, 1)} kg/m²"


def _kg(value: float) -> str:
    return f"{_fixed(value, 1)} kg"


def display(summary: Summary) -> dict[str, str]:
    """The figures rounded for people, keyed by their JSON path; absent figures are left out."""
    shown = {key: show(value) for key, value, show in _figures(summary) if value is not None}
    highest = summary.bp.highest
    if highest is not None and highest.systolic is not None and highest.diastolic is not None:
        shown["bp.highest"] = f"{_fixed(highest.systolic)}/{_fixed(highest.diastolic)} mmHg"
    return shown


_NUMBER = {"type": ["number", "null"]}
_COUNT = {"type": "integer", "minimum": 0}
_TIME = {"type": "string", "format": "date-time"}
_SHARE = {**_NUMBER, "minimum": 0, "description": "a fraction of the readings, 0 to 1"}


def _about(text: str, schema: dict[str, Any] = _NUMBER) -> dict[str, Any]:
    return {**schema, "description": text}


def _object(properties: dict[str, Any], *, nullable: bool = False) -> dict[str, Any]:
    return {
        "type": ["object", "null"] if nullable else "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _means_schema() -> dict[str, Any]:
    return _object({"readings": _COUNT, "mean_systolic": _NUMBER, "mean_diastolic": _NUMBER})


def _bands_schema(band: dict[str, Any]) -> dict[str, Any]:
    return _object({name: _object(band) for name in BANDS})


def _agp_schema() -> dict[str, Any]:
    slot = {"slot": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}, "readings": _COUNT}
    slot.update({f"p{p}": _NUMBER for p in PERCENTILES})
    return {"type": "array", "items": _object(slot), "minItems": SLOTS, "maxItems": SLOTS}


_SHARED_GLUCOSE = {
    "readings": _COUNT,
    "days": _COUNT,
    "mean": _NUMBER,
    "sd": _NUMBER,
    "cv": _about("coefficient of variation, SD / mean (a fraction)"),
    "gmi": _about("glucose management indicator, %"),
    "unit": {"const": "mg/dL"},
}
_BAND = {"count": _COUNT, "share": _SHARE}

SUMMARY_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Chronic-care summary",
    **_object(
        {
            "window": _object(
                {"start": _TIME, "end": _TIME, "days": _COUNT, "time_zone": {"type": "string"}}
            ),
            "bp": _object(
                {
                    "readings": _COUNT,
                    "pairs": _COUNT,
                    "days": _COUNT,
                    "mean_systolic": _NUMBER,
                    "mean_diastolic": _NUMBER,
                    "morning": _means_schema(),
                    "evening": _means_schema(),
                    "target": _object({"systolic": _COUNT, "diastolic": _COUNT}),
                    "share_at_or_above_target": _about("of the complete readings", _SHARE),
                    "highest": _object(
                        {"systolic": _NUMBER, "diastolic": _NUMBER, "at": _TIME}, nullable=True
                    ),
                }
            ),
            "glucose": _object(
                {
                    **_SHARED_GLUCOSE,
                    "gmi_needs_days": _about(
                        "days of readings GMI needs, when it is withheld",
                        {"type": ["integer", "null"]},
                    ),
                    "bands": _bands_schema(_BAND),
                }
            ),
            "cgm": _object(
                {
                    **_SHARED_GLUCOSE,
                    "captured_share": _about("sensor time captured over the window", _SHARE),
                    "sufficient": {"type": "boolean"},
                    "bands": _bands_schema({**_BAND, "minutes": _about("time per day, minutes")}),
                    "agp": _agp_schema(),
                },
                nullable=True,
            ),
            "weight": _object(
                {
                    "readings": _COUNT,
                    "latest": _object({"kg": {"type": "number"}, "at": _TIME}, nullable=True),
                    "change_30d_kg": _NUMBER,
                    "change_90d_kg": _NUMBER,
                    "bmi": _about("kg/m², from the latest weight and height"),
                }
            ),
            "display": _about(
                "figures rounded for people, keyed by JSON path",
                {"type": "object", "additionalProperties": {"type": "string"}},
            ),
        }
    ),
}
