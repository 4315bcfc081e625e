"""The visit report drawn as a PDF with ReportLab's page layout (platypus): A4, one column,
large plain type, tables with rules rather than colour, so it prints in black and white."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from phr_share.report.chart import draw_chart, draw_profile, draw_range_bar
from phr_share.report.content import ReportPart, ReportSection, VisitReport

__all__ = ["render_pdf"]

_MARGIN = 16 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_CHART_HEIGHT = 58 * mm


@dataclass(frozen=True, slots=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    box: ParagraphStyle
    rules: TableStyle


@cache
def _styles() -> _Styles:
    """The type and rules, made on first use (nothing is built at import time)."""
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=10, leading=13)
    return _Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
        h1=ParagraphStyle("h1", parent=base["Heading1"], fontSize=17, leading=21, spaceAfter=4),
        h2=ParagraphStyle("h2", parent=base["Heading2"], fontSize=13, leading=16, spaceBefore=10),
        h3=ParagraphStyle("h3", parent=base["Heading3"], fontSize=11, leading=14, spaceBefore=6),
        box=ParagraphStyle(
            "box",
            parent=body,
            borderColor=colors.black,
            borderWidth=0.8,
            borderPadding=6,
            spaceBefore=8,
            spaceAfter=10,
        ),
        rules=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.Color(0.6, 0.6, 0.6)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        ),
    )


def render_pdf(report: VisitReport) -> bytes:
    """The report as PDF bytes."""
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 4 * mm,
        title="Clinic-visit report",
        author="PHR Share",
        invariant=True,
    )

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(_MARGIN, _MARGIN, f"Visit report, {report.period}. {report.made}.")
        canvas.drawRightString(A4[0] - _MARGIN, _MARGIN, f"Page {doc.page}")
        canvas.restoreState()

    document.build(list(_story(report)), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _p(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    return Paragraph(escape(text), style or _styles().body)


def _story(report: VisitReport) -> Iterable[Flowable]:
    yield _p("Clinic-visit report", _styles().h1)
    born = report.born or "not shared"
    yield _p(f"{report.patient} · Date of birth: {born}", _styles().h3)
    yield _p(f"Period: {report.period}")
    yield _p(report.made, _styles().small)
    if report.scope:
        yield Paragraph("<br/>".join(escape(line) for line in report.scope), _styles().box)
    yield from _summaries(report)
    yield from _charts(report)
    yield from _sensor(report)
    yield from _record(report)
    yield from _notes(report)


def _summaries(report: VisitReport) -> Iterable[Flowable]:
    """One table per measure, a column per window (14 days, 30 days, the period)."""
    yield _p("Summary of home readings", _styles().h2)
    windows = [heading for heading, _ in report.summaries]
    titles = list(dict.fromkeys(p.title for _, parts in report.summaries for p in parts))
    if not titles:
        yield _p(_none("home readings", "vital", report))
    for title in titles:
        by_window = [
            next((p for p in parts if p.title == title), None) for _, parts in report.summaries
        ]
        yield KeepTogether([_p(title, _styles().h3), _summary_table(windows, by_window)])


def _summary_table(windows: list[str], parts: list[ReportPart | None]) -> Table:
    """Rows by figure ("Average", "Highest"...), a column per window; a blank where a
    window has no such figure."""
    values: list[dict[str, str]] = []
    for part in parts:
        found = {"Readings": part.basis} if part is not None else {}
        for line in part.lines if part is not None else ():
            label, _, value = line.rpartition(": ")
            found[label or line] = value
        values.append(found)
    labels = list(dict.fromkeys(label for found in values for label in found))
    small = _styles().small
    head = [_p("", small), *(_p(w.removeprefix("The last "), small) for w in windows)]
    rows = [
        [_p(label, small), *(_p(found.get(label, "-")) for found in values)] for label in labels
    ]
    first = _WIDTH * 0.34
    rest = (_WIDTH - first) / max(1, len(windows))
    table = Table([head, *rows], colWidths=[first, *([rest] * len(windows))], repeatRows=1)
    table.setStyle(_styles().rules)
    return table


def _charts(report: VisitReport) -> Iterable[Flowable]:
    if not report.charts:
        return
    yield _p("Charts", _styles().h2)
    for chart in report.charts:
        yield KeepTogether(
            [
                _p(f"{chart.title} ({chart.unit})", _styles().h3),
                draw_chart(chart, _WIDTH, _CHART_HEIGHT),
                _p(chart.words, _styles().small),
            ]
        )


def _sensor(report: VisitReport) -> Iterable[Flowable]:
    """The continuous glucose profile, then the time-in-range bar beside the goals."""
    sensor = report.sensor
    if sensor is None:
        return
    bar = draw_range_bar(sensor, _WIDTH * 0.55, 40 * mm)
    goals = ListFlowable(
        [ListItem(_p(sentence, _styles().small)) for sentence in sensor.goals],
        bulletType="bullet",
        leftIndent=10,
    )
    side = Table([[bar, goals]], colWidths=[_WIDTH * 0.55, _WIDTH * 0.45])
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    yield KeepTogether(
        [
            _p(sensor.title, _styles().h2),
            _p(sensor.words, _styles().small),
            _p("Blood sugar by time of day (mg/dL)", _styles().h3),
            draw_profile(sensor, _WIDTH, _CHART_HEIGHT),
            _p("Time in ranges", _styles().h3),
            side,
        ]
    )


def _record(report: VisitReport) -> Iterable[Flowable]:
    yield _p("Medications, allergies and problems", _styles().h2)
    if not report.record:
        yield _p(_none("medications, allergies or problems", "record", report))
    for section in report.record:
        yield from _section(section)


def _notes(report: VisitReport) -> Iterable[Flowable]:
    yield _p("Latest notes from clinicians", _styles().h2)
    if not report.clinician_notes:
        yield _p(_none("notes from clinicians", "clinician_notes", report))
    for when, section in report.clinician_notes:
        yield from _section(section, when)
    whose = "Your notes" if report.own else "The patient's notes"
    yield _p(f"{whose} with readings", _styles().h2)
    if not report.own_notes:
        yield _p(_none("notes typed with readings in this period", "own_notes", report))
    rows = [
        ["When", "Note"],
        *([_p(n.when, _styles().small), _p(n.text)] for n in report.own_notes),
    ]
    if report.own_notes:
        table = Table(rows, colWidths=[_WIDTH * 0.24, _WIDTH * 0.76], repeatRows=1)
        table.setStyle(_styles().rules)
        yield table


def _none(what: str, part: str, report: VisitReport) -> str:
    if part in report.missing:
        return "Not included: not shared with you."
    return f"No {what}."


def _section(section: ReportSection, when: str | None = None) -> Iterable[Flowable]:
    title = section.title or "Untitled section"
    yield _p(f"{title} ({when})" if when else title, _styles().h3)
    for block in section.blocks:
        if block.kind == "table":
            yield _table(block.header, block.rows)
        elif block.kind == "list":
            yield ListFlowable(
                [ListItem(_p(item), leftIndent=10) for item in block.items],
                bulletType="bullet",
                leftIndent=10,
            )
        elif block.text:
            yield _p(block.text)
    yield Spacer(1, 4)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> Table:
    head = [_p(cell, _styles().small) for cell in header]
    body = [[_p(cell, _styles().small) for cell in row] for row in rows]
    grid = [head, *body] if head else body
    columns = max((len(r) for r in grid), default=1)
    grid = [r + [""] * (columns - len(r)) for r in grid]
    table = Table(grid, colWidths=[_WIDTH / columns] * columns, repeatRows=1 if head else 0)
    table.setStyle(_styles().rules)
    return table
