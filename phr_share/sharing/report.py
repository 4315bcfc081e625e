"""The clinic-visit report: a period's summaries, charts with the patient's targets, the
current medications, allergies and problems, the latest clinicians' notes and the
patient's own notes, as a PDF.

Everything is read through the decision point, as the pages read it: the patient gets
their whole report; a clinician only the kinds their grant (or emergency) covers, and the
first page says what is left out. Every download is audited, and the patient sees it in
their access history.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from phr_share.audit import Action, Outcome
from phr_share.ccda.identity import patient_identity
from phr_share.ccda.narrative import NOTE
from phr_share.ccda.readings_cda import HOME_READINGS, readable_unit
from phr_share.codes import (
    GLUCOSE,
    GLUCOSE_CAPILLARY,
    GLUCOSE_METER,
    GLUCOSE_SERUM,
    SENSOR_GLUCOSE,
)
from phr_share.consent import Decision, Principal, Purpose
from phr_share.errors import AccessDenied, InvalidInput
from phr_share.models import SegmentKind
from phr_share.report import (
    ChartLine,
    ReportChart,
    ReportNote,
    ReportPart,
    ReportSection,
    SensorGlucose,
    VisitReport,
    render_pdf,
)
from phr_share.series.agp import glucose_profile, range_bar
from phr_share.series.glucose import SUFFICIENT_DAYS
from phr_share.series.points import DIASTOLIC, SYSTOLIC, WEIGHT
from phr_share.series.summary import MAX_DAYS, percent
from phr_share.series.view import ChartLine as ViewLine
from phr_share.series.view import ChartView
from phr_share.series.words import summary_card
from phr_share.sharing.access import authorize
from phr_share.sharing.audit import record as audit
from phr_share.sharing.charts import Dashboard, dashboard_of, summary_of_read
from phr_share.sharing.clinical import SectionRecord, patient_name, patient_time_zone
from phr_share.sharing.read import current_records, read_permitted, stored_times, type_codes
from phr_share.sharing.readings import readings_page
from phr_share.sharing.services import Services
from phr_share.sharing.targets import DEFAULT_TARGETS, Targets, targets_of
from phr_share.timewords import day_words, when_words

__all__ = ["REPORT_DAYS", "REPORT_PERIODS", "visit_report", "visit_report_pdf"]

REPORT_DAYS = 90
# The periods the pages offer; the command line takes any from 1 to MAX_DAYS days.
REPORT_PERIODS = (30, 90, 180, 365)
# What each kind adds to the report, in the words its first page uses.
_PARTS = {
    SegmentKind.PHYSICAL_SIGNS: "blood pressure and blood sugar (vital signs)",
    SegmentKind.BODY_MEASURES: "weight (body measures)",
    SegmentKind.HEALTH_STATUS: "medications, allergies and problems",
    SegmentKind.DOCTOR_NOTES: "clinicians' notes",
    SegmentKind.PATIENT_NARRATIVE: "the patient's own notes",
    SegmentKind.PERSONAL: "date of birth",
}
# The report's charts: title, unit, the codes charted, in the order a person reads them.
_CHARTS = (
    ("Blood pressure", "mmHg", (SYSTOLIC, DIASTOLIC)),
    (
        "Blood sugar",
        "mg/dL",
        (GLUCOSE, GLUCOSE_SERUM, SENSOR_GLUCOSE, GLUCOSE_METER, GLUCOSE_CAPILLARY),
    ),
    ("Weight", "kg", (WEIGHT,)),
)
_LINE_NAMES = {SYSTOLIC: "Systolic (top)", DIASTOLIC: "Diastolic (bottom)", WEIGHT: "Weight"}
# The record's sections the report shows, by the words of their titles, in its order.
_RECORD = (("medication", "Medications"), ("allerg", "Allergies"), ("problem", "Problems"))
_RECORD_DOCUMENTS = 5  # the newest documents the record's sections are looked for in
_CLINICIAN_NOTES = 5  # the newest notes from clinicians
_OWN_NOTES = 20  # the newest notes the patient typed with readings in the period
_MAX_BINS = 180
_TICKS = 6


def visit_report_pdf(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    days: int = REPORT_DAYS,
    *,
    zone: ZoneInfo | None = None,
    purpose: Purpose = Purpose.TREATMENT,
) -> bytes:
    """:func:`visit_report` drawn as PDF bytes; raises as it does."""
    return render_pdf(visit_report(svc, principal, patient_id, days, zone=zone, purpose=purpose))


def visit_report(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    days: int = REPORT_DAYS,
    *,
    zone: ZoneInfo | None = None,
    purpose: Purpose = Purpose.TREATMENT,
) -> VisitReport:
    """The visit report of the last ``days`` days, times in ``zone`` (UTC when not given),
    of what the decision point lets ``principal`` read; the download is audited.

    Raises InvalidInput for days outside 1..3650, AccessDenied (audited) when the reader
    may read nothing of the patient's, KeyErased after erasure, store errors."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"a report covers 1 to {MAX_DAYS} days")
    zone = zone or ZoneInfo("UTC")
    permitted = _permitted(svc, principal, patient_id, days, purpose)
    try:
        shown = targets_of(svc, principal, patient_id)
    except AccessDenied:  # the targets are about vital signs the reader may not see
        shown = DEFAULT_TARGETS
    board = dashboard_of(
        svc,
        principal,
        patient_id,
        days=days,
        chart_days=days,
        zone=zone,
        purpose=purpose,
        max_bins=_MAX_BINS,
        bp_target=shown.pressure,
    )
    own = principal.patient_id == patient_id
    name = patient_name(svc, principal, patient_id)
    now = svc.clock()
    return VisitReport(
        patient=name,
        born=_born(svc, principal, patient_id, purpose, permitted),
        period=f"the last {days} days, {day_words(board.chart.start, zone)} to "
        f"{day_words(now, zone)}",
        made=f"Made {when_words(now, zone)} by PHR Share",
        scope=() if own else _scope(name, permitted),
        summaries=_summaries(board, days, now, zone, shown, own),
        charts=_charts(board.chart, shown, zone),
        record=_record(svc, principal, patient_id, purpose)
        if SegmentKind.HEALTH_STATUS in permitted
        else (),
        clinician_notes=_clinician_notes(svc, principal, patient_id, purpose, zone)
        if SegmentKind.DOCTOR_NOTES in permitted
        else (),
        own_notes=_own_notes(svc, principal, patient_id, purpose, board, zone)
        if SegmentKind.PATIENT_NARRATIVE in permitted
        else (),
        missing=frozenset(_missing(permitted)),
        own=own,
        sensor=_sensor(board, now, patient_time_zone(svc, principal, patient_id) or zone),
    )


def _permitted(
    svc: Services, principal: Principal, patient_id: uuid.UUID, days: int, purpose: Purpose
) -> frozenset[SegmentKind]:
    """The report's kinds the reader may read now; the download audited, and refused
    (AccessDenied) when they may read none of them."""
    with svc.db.session() as session:
        decisions = authorize(session, principal, patient_id, _PARTS, purpose, svc.clock())
        permitted = frozenset(k for k, d in decisions.items() if d.permit)
        decision = next(
            (decisions[k] for k in _PARTS if k in permitted),
            decisions[SegmentKind.PHYSICAL_SIGNS],
        )
        audit(
            svc,
            session,
            Action.REPORT_DOWNLOAD,
            principal.id,
            patient_id=patient_id,
            subject="report:visit",
            outcome=Outcome.OK if permitted else Outcome.DENIED,
            details=_details(decision, days, purpose, permitted),
        )
    if not permitted:
        raise AccessDenied(decision.reason)
    return permitted


def _details(
    decision: Decision, days: int, purpose: Purpose, permitted: Iterable[SegmentKind]
) -> dict[str, str | int]:
    details: dict[str, str | int] = {
        "days": days,
        "purpose": purpose.value,
        "reason": decision.reason.value,
        "kinds": ",".join(sorted(k.value for k in permitted)),
    }
    if decision.basis is not None:
        details["basis"] = decision.basis
    if decision.emergency:
        details["emergency"] = 1
    return details


def _missing(permitted: frozenset[SegmentKind]) -> Iterable[str]:
    """The parts of the report the reader may not see, as the renderer names them."""
    parts = {
        SegmentKind.PHYSICAL_SIGNS: "vital",
        SegmentKind.HEALTH_STATUS: "record",
        SegmentKind.DOCTOR_NOTES: "clinician_notes",
        SegmentKind.PATIENT_NARRATIVE: "own_notes",
    }
    return (part for kind, part in parts.items() if kind not in permitted)


def _scope(name: str, permitted: frozenset[SegmentKind]) -> tuple[str, ...]:
    """What the first page of a clinician's report says about what it holds."""
    shared = [words for kind, words in _PARTS.items() if kind in permitted]
    left_out = [words for kind, words in _PARTS.items() if kind not in permitted]
    lines = [f"This report holds only what {name} shares with you: {_and(shared)}."]
    if left_out:
        lines.append(f"Not included: {_and(left_out)}.")
    return tuple(lines)


def _and(words: Sequence[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return f"{'; '.join(words[:-1])} and {words[-1]}"


def _summaries(
    board: Dashboard, days: int, now: datetime, zone: ZoneInfo, targets: Targets, own: bool
) -> tuple[tuple[str, tuple[ReportPart, ...]], ...]:
    """The summary card of the last 14 and 30 days and of the whole period, as the pages
    word it (a shorter window only where the period is longer)."""
    found = []
    for window in sorted({14, 30, days}):
        if window > days:
            continue
        summary = (
            board.summary
            if window == days
            else summary_of_read(
                board.series, now=now, days=window, zone=zone, bp_target=targets.pressure
            )
        )
        parts = tuple(ReportPart(p.title, p.basis, p.lines) for p in summary_card(summary, own=own))
        found.append((f"The last {window} days", parts))
    return tuple(found)


def _sensor(board: Dashboard, now: datetime, clock: ZoneInfo) -> SensorGlucose | None:
    """The continuous glucose of the last 14 days (the consensus window) on the patient's
    clock, as the pages draw it; None without continuous sensor data in them."""
    recent = summary_of_read(board.series, now=now, days=SUFFICIENT_DAYS, zone=clock)
    profile, bar = glucose_profile(recent.cgm), range_bar(recent.cgm)
    if profile is None or bar is None:
        return None
    captured = percent(profile.captured_share)
    return SensorGlucose(
        title=f"Sensor blood sugar: the last {profile.days} days",
        profile=tuple((p.minute, p.p5, p.p25, p.p50, p.p75, p.p95) for p in profile.points),
        bar=tuple((part.name, part.limits, part.share, part.percent) for part in bar.parts),
        goals=tuple(goal.sentence for goal in bar.goals),
        words=f"{profile.readings:,} sensor readings on {profile.days} days; the sensor "
        f"recorded {captured} of the time. Times of day are on the patient's clock "
        f"({clock.key}). The middle line is the usual (median) value at that time, the "
        "darker band half of the readings, the lighter band 9 in 10.",
    )


def _charts(view: ChartView, targets: Targets, zone: ZoneInfo) -> tuple[ReportChart, ...]:
    """The blood pressure, blood sugar and weight charts of the period, with targets."""
    span = (view.end - view.start).total_seconds()
    ticks = tuple(
        (
            span * i / (_TICKS - 1),
            day_words(view.start + timedelta(seconds=span * i / (_TICKS - 1)), zone),
        )
        for i in range(_TICKS)
    )
    charts = []
    for title, unit, codes in _CHARTS:
        lines = [line for code in codes for line in view.lines if line.code == code]
        if not lines:
            continue
        drawn = tuple(
            ChartLine(_line_name(line, len(lines) > 1), _points(line, view.start), i % 2 == 1)
            for i, line in enumerate(lines)
        )
        chart = ReportChart(title, unit, span, ticks, drawn, words=_chart_words(title, lines, zone))
        charts.append(_with_targets(chart, targets))
    return tuple(charts)


def _with_targets(chart: ReportChart, targets: Targets) -> ReportChart:
    if chart.title == "Blood pressure":
        marks = (
            (float(targets.systolic), f"target {targets.systolic} (top)"),
            (float(targets.diastolic), f"target {targets.diastolic} (bottom)"),
        )
        return dataclasses.replace(chart, targets=marks)
    if chart.title == "Blood sugar":
        low, high = targets.glucose_low, targets.glucose_high
        return dataclasses.replace(
            chart, band=(float(low), float(high), f"target range {low}-{high}")
        )
    return chart


def _line_name(line: ViewLine, several: bool) -> str:
    name = _LINE_NAMES.get(line.code, "Sensor" if line.code == SENSOR_GLUCOSE else "Finger-stick")
    return f"{name} ({readable_unit(line.unit)})" if several and line.code == WEIGHT else name


def _points(line: ViewLine, start: datetime) -> tuple[tuple[float, float], ...]:
    if line.resolution == "full":
        return tuple(((s.at - start).total_seconds(), s.value) for s in line.samples)
    return tuple(((b.start - start).total_seconds(), b.mean) for b in line.bins)


def _chart_words(title: str, lines: Sequence[ViewLine], zone: ZoneInfo) -> str:
    """The chart in a sentence: how many readings, and the latest."""
    # A blood pressure is one reading of two lines: the longer line counts the readings.
    count = max(len(line.samples) or sum(b.count for b in line.bins) for line in lines)
    latest = [(_last(line), line) for line in lines]
    at, value = max((found for found, _ in latest if found is not None), default=(None, None))
    if at is None or value is None:
        return f"{title}: no readings in this period."
    if title == "Blood pressure" and len(lines) == 2:
        values = [found[1] for found, _ in latest if found is not None]
        shown = "/".join(f"{v:g}" for v in values)
    else:
        shown = f"{value:g}"
    unit = readable_unit(lines[0].unit)
    return f"{title}: {count} readings; the latest {shown} {unit} on {day_words(at, zone)}."


def _last(line: ViewLine) -> tuple[datetime, float] | None:
    if line.samples:
        return line.samples[-1].at, round(line.samples[-1].value, 1)
    if line.bins:
        return line.bins[-1].start, round(line.bins[-1].mean, 1)
    return None


def _record(
    svc: Services, principal: Principal, patient_id: uuid.UUID, purpose: Purpose
) -> tuple[ReportSection, ...]:
    """The current medications, allergies and problems: each from the newest of the last
    few documents that has it, read at once (one decision, the objects in parallel)."""
    records = current_records(svc, patient_id, {SegmentKind.HEALTH_STATUS})
    newest = sorted({r.document_id for r in records}, reverse=True)[:_RECORD_DOCUMENTS]
    wanted = [r for r in records if r.document_id in newest]
    read = read_permitted(svc, principal, wanted, purpose=purpose) if wanted else []
    found: dict[str, SectionRecord] = {}
    for record, content in sorted(read, key=lambda pair: -pair[0].document_id):
        section = SectionRecord.of(record, content)
        title = (section.view.title or "").lower()
        for word, _ in _RECORD:
            if word in title and word not in found:
                found[word] = section
    return tuple(
        ReportSection(found[word].view.title or heading, found[word].view.blocks)
        for word, heading in _RECORD
        if word in found
    )


def _clinician_notes(
    svc: Services, principal: Principal, patient_id: uuid.UUID, purpose: Purpose, zone: ZoneInfo
) -> tuple[tuple[str, ReportSection], ...]:
    """The newest notes from clinicians, each with the day it was stored."""
    records = current_records(svc, patient_id, {SegmentKind.DOCTOR_NOTES})
    newest = sorted(records, key=lambda r: (r.document_id, r.id), reverse=True)[:_CLINICIAN_NOTES]
    read = read_permitted(svc, principal, newest, purpose=purpose) if newest else []
    times = stored_times(svc, patient_id, {r.document_id for r, _ in read})
    return tuple(
        (
            day_words(times[record.document_id], zone),
            ReportSection(section.view.title, section.view.blocks),
        )
        for record, content in read
        for section in (SectionRecord.of(record, content),)
    )


def _own_notes(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    purpose: Purpose,
    board: Dashboard,
    zone: ZoneInfo,
) -> tuple[ReportNote, ...]:
    """The newest notes the patient typed with readings in the period, newest first: the
    readings table's pages read until the period's start (or enough notes)."""
    notes: list[ReportNote] = []
    start, page, pages = board.chart.start, 1, 1
    while page <= pages and len(notes) < _OWN_NOTES:
        found = readings_page(
            svc, principal, patient_id, page=page, per_page=60, purpose=purpose, read=board.series
        )
        for sitting in found.sittings:
            if sitting.at < start:
                return tuple(notes)
            notes.extend(
                ReportNote(when_words(sitting.at, zone), t) for t in sitting.said.get(NOTE, ())
            )
        page, pages = page + 1, found.pages
    return tuple(notes[:_OWN_NOTES])


def _born(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    purpose: Purpose,
    permitted: frozenset[SegmentKind],
) -> str | None:
    """The date of birth from the header of the newest of the last few clinic documents
    that names one, where the reader may read personal details (those headers read, and
    audited); None otherwise."""
    if SegmentKind.PERSONAL not in permitted:
        return None
    types = type_codes(svc, patient_id)
    clinic = sorted((d for d, code in types.items() if code != HOME_READINGS.code), reverse=True)
    if not clinic:
        return None
    newest = clinic[:_RECORD_DOCUMENTS]
    records = current_records(svc, patient_id, {SegmentKind.PERSONAL}, documents=newest)
    read = read_permitted(svc, principal, records, purpose=purpose)
    for _, content in sorted(read, key=lambda pair: -pair[0].document_id):
        birth = patient_identity(content, patient_id).birth_time or ""
        try:
            born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:8]))
        except ValueError:  # none, or no date: an older header may name it
            continue
        return day_words(born, ZoneInfo("UTC"))
    return None
    clinic = [d for d, code in type_codes(svc, patient_id).items() if code != HOME_READINGS.code]
    if not clinic:
        return None
    records = current_records(svc, patient_id, {SegmentKind.PERSONAL}, documents=[max(clinic)])
    for _, content in read_permitted(svc, principal, records, purpose=purpose):
        birth = patient_identity(content, patient_id).birth_time
        if birth and len(birth) >= 8 and birth[:8].isdigit():
            return day_words(
                date(int(birth[:4]), int(birth[4:6]), int(birth[6:8])), ZoneInfo("UTC")
            )
    return None
