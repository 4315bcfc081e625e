"""A report chart drawn with reportlab.graphics: axes, a grey target range, dotted target
lines, and black lines (one solid, one dashed) that read in black and white too."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors

from phr_share.report.content import ChartLine, ReportChart

__all__ = ["draw_chart"]

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
    value = low
    while value <= high + step / 2:
        drawing.add(
            Line(_LEFT, y(value), _LEFT + plot_w, y(value), strokeColor=_GRID, strokeWidth=0.4)
        )
        drawing.add(
            String(
                _LEFT - 4, y(value) - 3, f"{value:g}", fontName=_FONT, fontSize=7, textAnchor="end"
            )
        )
        value += step
    for at, words in chart.ticks:
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
    for at, _ in chart.targets:
        if low <= at <= high:
            drawing.add(
                Line(
                    _LEFT,
                    y(at),
                    _LEFT + plot_w,
                    y(at),
                    strokeColor=_TARGET,
                    strokeWidth=0.8,
                    strokeDashArray=[1, 2],
                )
            )
    for line in chart.lines:
        _draw_line(drawing, line, chart.gap, x, y)
    _legend(drawing, chart, width)
    return drawing


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
