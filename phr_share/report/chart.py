"""A report chart drawn with reportlab.graphics: axes, a grey target range, dotted target
lines, and black lines (one solid, one dashed) that read in black and white too; and the
continuous glucose profile and time-in-range bar, in greys with words beside them."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from phr_share.report.content import ChartLine, ReportChart, SensorGlucose

__all__ = ["draw_chart", "draw_profile", "draw_range_bar"]

_LEFT, _RIGHT, _BOTTOM, _TOP = 40.0, 12.0, 34.0, 10.0
_FONT = "Helvetica"
_BAND = colors.Color(0.88, 0.88, 0.88)
_GRID = colors.Color(0.8, 0.8, 0.8)
_TARGET = colors.Color(0.35, 0.35, 0.35)
# Markers on every point while there are few enough to tell apart.
_MARKED = 120


def draw_chart(chart: ReportChart, width: float, height: float) -> Drawing:
    """The chart in a drawing of ``width`` x ``height`` points, its legend underneath."""
    drawing = Drawing(width, height)
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _BOTTOM - _TOP
    low, high = _value_range(chart)
    step = _step(high - low)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step

    def x(seconds: float) -> float:
        return _LEFT + plot_w * (seconds / chart.span if chart.span else 0.5)

    def y(value: float) -> float:
        return _BOTTOM + plot_h * (value - low) / (high - low)

    if chart.band is not None:
        b_low, b_high = max(chart.band[0], low), min(chart.band[1], high)
        drawing.add(
            Rect(_LEFT, y(b_low), plot_w, y(b_high) - y(b_low), fillColor=_BAND, strokeColor=None)
        )
    count = round((high - low) / step) + 1
    _axes(drawing, [low + step * n for n in range(count)], chart.ticks, x, y, plot_w, plot_h)
    for at, _ in chart.targets:
        if low <= at <= high:
            _dotted(drawing, y(at), plot_w)
    for line in chart.lines:
        _draw_line(drawing, line, chart.gap, x, y)
    _legend(drawing, chart, width)
    return drawing


def _axes(
    drawing: Drawing,
    values: Iterable[float],
    ticks: Iterable[tuple[float, str]],
    x: Callable[[float], float],
    y: Callable[[float], float],
    plot_w: float,
    plot_h: float,
) -> None:
    """A grey grid line and its label at each of ``values``, a tick and its words under
    each of ``ticks``, and the plot's frame."""
    for value in values:
        drawing.add(
            Line(_LEFT, y(value), _LEFT + plot_w, y(value), strokeColor=_GRID, strokeWidth=0.4)
        )
        drawing.add(
            String(
                _LEFT - 4, y(value) - 3, f"{value:g}", fontName=_FONT, fontSize=7, textAnchor="end"
            )
        )
    for at, words in ticks:
        drawing.add(Line(x(at), _BOTTOM, x(at), _BOTTOM - 3, strokeWidth=0.5))
        drawing.add(
            String(x(at), _BOTTOM - 11, words, fontName=_FONT, fontSize=7, textAnchor="middle")
        )
    drawing.add(
        Rect(
            _LEFT,
            _BOTTOM,
            plot_w,
            plot_h,
            fillColor=None,
            strokeColor=colors.black,
            strokeWidth=0.6,
        )
    )


def _dotted(drawing: Drawing, at: float, plot_w: float) -> None:
    """A dotted target line across the plot at height ``at``."""
    drawing.add(
        Line(
            _LEFT,
            at,
            _LEFT + plot_w,
            at,
            strokeColor=_TARGET,
            strokeWidth=0.8,
            strokeDashArray=[1, 2],
        )
    )


def _draw_line(
    drawing: Drawing,
    line: ChartLine,
    gap: float,
    x: Callable[[float], float],
    y: Callable[[float], float],
) -> None:
    dash = [4, 2] if line.dashed else None
    for run in _runs(line.points, gap):
        if len(run) > 1:
            flat = [c for at, v in run for c in (x(at), y(v))]
            drawing.add(
                PolyLine(flat, strokeColor=colors.black, strokeWidth=1, strokeDashArray=dash)
            )
    if len(line.points) <= _MARKED:
        fill = colors.white if line.dashed else colors.black
        for at, v in line.points:
            drawing.add(
                Circle(x(at), y(v), 1.6, fillColor=fill, strokeColor=colors.black, strokeWidth=0.6)
            )


def _runs(
    points: tuple[tuple[float, float], ...], gap: float
) -> Iterator[list[tuple[float, float]]]:
    """The points cut where two in a row lie more than ``gap`` apart."""
    run: list[tuple[float, float]] = []
    for point in points:
        if run and point[0] - run[-1][0] > gap:
            yield run
            run = []
        run.append(point)
    if run:
        yield run


def _legend(drawing: Drawing, chart: ReportChart, width: float) -> None:
    left = _LEFT
    entries: list[tuple[str, str]] = [
        (("dashed" if c.dashed else "solid"), c.label) for c in chart.lines
    ]
    entries += [("target", words) for _, words in chart.targets]
    if chart.band is not None:
        entries.append(("band", chart.band[2]))
    for style, words in entries:
        if left > width - 60:
            break
        at = 6.0
        if style == "band":
            drawing.add(Rect(left, at - 3, 14, 7, fillColor=_BAND, strokeColor=None))
        elif style == "target":
            drawing.add(Line(left, at, left + 14, at, strokeColor=_TARGET, strokeDashArray=[1, 2]))
        else:
            dash = [4, 2] if style == "dashed" else None
            drawing.add(
                Line(left, at, left + 14, at, strokeColor=colors.black, strokeDashArray=dash)
            )
        drawing.add(String(left + 18, at - 3, words, fontName=_FONT, fontSize=7))
        left += 24 + 3.6 * len(words)


def _value_range(chart: ReportChart) -> tuple[float, float]:
    values = [v for line in chart.lines for _, v in line.points]
    values += [at for at, _ in chart.targets]
    if chart.band is not None:
        values += [chart.band[0], chart.band[1]]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if high - low < 1:
        low, high = low - 1, high + 1
    return low, high


def _step(spread: float) -> float:
    """A round grid step giving four to eight lines over ``spread``."""
    raw = spread / 5
    power = 10.0 ** math.floor(math.log10(raw))
    return next(float(s * power) for s in (1, 2, 2.5, 5, 10) if s * power >= raw)


# The profile's bands, the outer (5-95 %) lighter than the inner (25-75 %).
_OUTER = colors.Color(0.86, 0.86, 0.86)
_INNER = colors.Color(0.62, 0.62, 0.62)
# The time-in-range bar, top band first: greys that differ in print, the range white.
_BAR = (
    colors.Color(0.35, 0.35, 0.35),
    colors.Color(0.7, 0.7, 0.7),
    colors.white,
    colors.Color(0.55, 0.55, 0.55),
    colors.Color(0.1, 0.1, 0.1),
)
_DAY = 24 * 60


def draw_profile(sensor: SensorGlucose, width: float, height: float) -> Drawing:
    """The glucose profile by time of day: the 5-95 % band, the 25-75 % band and the
    median over 00:00-24:00, the target range 70-180 mg/dL as dotted lines."""
    drawing = Drawing(width, height)
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _BOTTOM - _TOP
    top = max([300.0, *(p[5] for p in sensor.profile)])
    low, high = 40.0, math.ceil(top / 50) * 50

    def x(minute: float) -> float:
        return _LEFT + plot_w * minute / _DAY

    def y(value: float) -> float:
        return _BOTTOM + plot_h * (min(max(value, low), high) - low) / (high - low)

    hours = [(hour * 60.0, f"{hour:02d}:00") for hour in range(0, 25, 3)]
    grid = [float(v) for v in range(int(low) + 10, int(high) + 1, 50)]
    # Each point stands for its slot: drawn at the slot's middle.
    half = (sensor.profile[1][0] - sensor.profile[0][0]) / 2 if len(sensor.profile) > 1 else 7.5
    for lower, upper, fill in ((1, 5, _OUTER), (2, 4, _INNER)):
        outline = [(x(p[0] + half), y(p[upper])) for p in sensor.profile]
        outline += [(x(p[0] + half), y(p[lower])) for p in reversed(sensor.profile)]
        drawing.add(
            Polygon([c for point in outline for c in point], fillColor=fill, strokeColor=None)
        )
    # The bands first, then the grid, frame and range over them, then the median on top.
    _axes(drawing, grid, hours, x, y, plot_w, plot_h)
    for target in (70, 180):
        _dotted(drawing, y(target), plot_w)
    median = [c for p in sensor.profile for c in (x(p[0] + half), y(p[3]))]
    drawing.add(PolyLine(median, strokeColor=colors.black, strokeWidth=1.4))
    left = _LEFT
    for words, fill in (("5-95%", _OUTER), ("25-75%", _INNER)):
        drawing.add(Rect(left, 3, 14, 7, fillColor=fill, strokeColor=None))
        drawing.add(String(left + 18, 3, words, fontName=_FONT, fontSize=7))
        left += 60
    drawing.add(Line(left, 6, left + 14, 6, strokeColor=colors.black, strokeWidth=1.4))
    drawing.add(String(left + 18, 3, "median", fontName=_FONT, fontSize=7))
    left += 60
    drawing.add(Line(left, 6, left + 14, 6, strokeColor=_TARGET, strokeDashArray=[1, 2]))
    drawing.add(String(left + 18, 3, "target range 70-180", fontName=_FONT, fontSize=7))
    return drawing


def draw_range_bar(sensor: SensorGlucose, width: float, height: float) -> Drawing:
    """The stacked time-in-range bar, each band labelled with its share and name."""
    drawing = Drawing(width, height)
    bar_w, top = 26.0, height - 4
    spread = height - 8
    at = top
    for (_, _, share, _), fill in zip(sensor.bar, _BAR, strict=True):
        tall = spread * share
        drawing.add(
            Rect(
                4, at - tall, bar_w, tall, fillColor=fill, strokeColor=colors.black, strokeWidth=0.5
            )
        )
        at -= tall
    step = spread / len(sensor.bar)
    # Each band's words beside a swatch of its grey, so the bar reads in print too.
    for n, ((name, limits, _, shown), fill) in enumerate(zip(sensor.bar, _BAR, strict=True)):
        line = top - step * n - step / 2
        drawing.add(
            Rect(
                bar_w + 12,
                line - 3,
                7,
                7,
                fillColor=fill,
                strokeColor=colors.black,
                strokeWidth=0.5,
            )
        )
        drawing.add(
            String(bar_w + 24, line - 2, f"{shown}  {name} ({limits})", fontName=_FONT, fontSize=8)
        )
    return drawing
