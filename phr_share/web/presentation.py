"""Presentation the pages and the API share: parsing what people type and choose, chart
series, tables, sentences and the sharing state in words."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from phr_share import sharing
from phr_share.choices import parse_choice, parse_choices
from phr_share.codes import (
    ACTIVITY,
    BMI,
    CHARTED,
    DIASTOLIC,
    DIET_NOTE,
    DOCUMENT_TYPES,
    GLUCOSE,
    GLUCOSE_CAPILLARY,
    GLUCOSE_METER,
    GLUCOSE_MMOL_BLOOD,
    GLUCOSE_SERUM,
    HEART_RATE,
    HEIGHT,
    HOME_READINGS_TYPE,
    MEASURE_NAMES,
    MG_PER_MMOL,
    MOOD,
    MOOD_WORDS,
    NOTE,
    PAIN,
    SENSOR_GLUCOSE,
    SYSTOLIC,
    WEIGHT,
    readable_unit,
)
from phr_share.errors import InvalidDocument, InvalidInput
from phr_share.models import (
    ACCOUNT_ROLES,
    MAX_ID,
    Measurement,
    Outcome,
    Point,
    Principal,
    Purpose,
    Reason,
    Role,
    SegmentKind,
    Sensitivity,
)
from phr_share.sharing import ChartLine, ChartView
from phr_share.sharing.accounts import SELF_SIGN_UP
from phr_share.sharing.audit import AREAS
from phr_share.sharing.clinical import CHARTED_KINDS, VITAL_KINDS, SectionRecord
from phr_share.sharing.history import AccessEvent
from phr_share.sharing.links import MAX_LINK_TTL

__all__ = [
    "CLINICAL_PURPOSES",
    "FILTERS",
    "MAX_LINK_HOURS",
    "MAX_PER_PAGE",
    "STAFF_ROLES",
    "HomeDocuments",
    "ReadVisit",
    "ReadingsTable",
    "document_type",
    "filesize",
    "home_readings",
    "kind_label",
    "kinds_from",
    "ordered_record",
    "page_of",
    "readings_csv",
    "reason_words",
    "released_from",
    "sharing_state",
    "sittings_table",
    "staff_role",
    "stored_overview",
    "summary_days",
    "upload_refusal",
    "visit_sentence",
    "visits",
    "whole_number",
]

# Which series go on which chart, in the order a person reads them; a scale fixes the
# axis where the measure has one (pain 0-10, mood 1-5 with its words).
CHARTS: tuple[tuple[str, str, tuple[str, ...], dict[str, Any]], ...] = (
    ("Blood pressure", "mmHg", (SYSTOLIC, DIASTOLIC), {}),
    ("Heart rate", "beats/min", (HEART_RATE,), {}),
    (
        "Glucose",
        "mg/dL",
        (GLUCOSE, GLUCOSE_SERUM, SENSOR_GLUCOSE, GLUCOSE_METER, GLUCOSE_CAPILLARY),
        {},
    ),
    ("Weight", "kg", (WEIGHT,), {}),
    ("Pain", "0-10", (PAIN,), {"min": 0, "max": 10}),
    ("Mood", "how I feel", (MOOD,), {"min": 1, "max": 5, "labels": MOOD_WORDS}),
    ("Physical activity", "min", (ACTIVITY,), {"min": 0}),
)


def audit_filters(args: Mapping[str, str]) -> tuple[Outcome | None, str | None, int | None]:
    """The audit log's filters from request parameters ``outcome``, ``area`` and
    ``before`` (a sequence number); blank means any. InvalidInput names a bad one."""
    given = {name: value for name, value in args.items() if value.strip()}
    outcome = parse_choice(Outcome, given["outcome"], "outcome") if "outcome" in given else None
    area = parse_choice(AREAS, given["area"], "area") if "area" in given else None
    before = given.get("before")
    return outcome, area, None if before is None else whole_number(before, "before", 1, MAX_ID)


# The roles of the accounts an admin creates (patients and caregivers sign themselves
# up; the system and the operator are no accounts).
STAFF_ROLES = tuple(r for r in Role if r in ACCOUNT_ROLES - SELF_SIGN_UP)
# The purposes a clinician reads for and a patient grants (research is consented by
# releasing kinds, never by a grant).
CLINICAL_PURPOSES = (Purpose.TREATMENT, Purpose.EMERGENCY)
_DIGITS = re.compile(r"[0-9]{1,10}")
# The most a listing answers at once, and the longest a one-visit link may live.
MAX_PER_PAGE = 100
MAX_LINK_HOURS = MAX_LINK_TTL // timedelta(hours=1)


def staff_role(value: object) -> Role:
    """The role of a staff account an admin creates; InvalidInput for anything else."""
    return parse_choice(STAFF_ROLES, value, "role")


def kinds_from(values: object, field: str = "kinds") -> set[SegmentKind]:
    """Segment kinds from a list of form or JSON values; InvalidInput naming ``field``
    and the kinds for an unknown one."""
    return parse_choices(SegmentKind, values, field)


def released_from(svc: sharing.Services, values: object, field: str) -> set[SegmentKind]:
    """The kinds a patient releases for research, from a list of values; InvalidInput
    naming ``field`` and the kinds the routing policy ever releases for any other."""
    return parse_choices(sorted(svc.routing.releasable), values, field)


def summary_days(sent: Mapping[str, str]) -> int:
    """The summary window a page was asked for: 14 days unless 30 or 90; InvalidInput
    for anything else."""
    asked = sent.get("days", "14").strip()
    if asked not in {str(days) for days in sharing.SUMMARY_WINDOWS}:
        raise InvalidInput("the summary covers 14, 30 or 90 days")
    return int(asked)


# The spans a page charts, as asked in ``chart``: days back from now (None: every reading).
CHART_PERIODS = {"2w": 14, "3m": 91, "1y": 365, "all": None}
CHART_PERIOD_WORDS = {"2w": "2 weeks", "3m": "3 months", "1y": "1 year", "all": "All"}
DEFAULT_CHART = "3m"


def chart_period(sent: Mapping[str, str]) -> str:
    """The chart span a page was asked for (3 months unless 2w, 1y or all); InvalidInput
    for anything else."""
    asked = sent.get("chart", DEFAULT_CHART).strip()
    if asked not in CHART_PERIODS:
        raise InvalidInput("the charts show 2w, 3m, 1y or all")
    return asked


def whole_number(value: int | str, field: str, low: int, high: int) -> int:
    """A whole number from JSON (an integer) or a form (its digits) from ``low`` to
    ``high``; InvalidInput naming ``field`` and the range otherwise."""
    number = value if not isinstance(value, str) else None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    if number is None or not low <= number <= high:
        raise InvalidInput(f"{field} is a whole number from {low} to {high}")
    return number


def chart_json(
    view: ChartView, targets: sharing.Targets = sharing.DEFAULT_TARGETS
) -> dict[str, Any]:
    """The charts' data from a chart view: one chart per measure, each point an ISO time
    in the view's zone and a value; a binned line's point is its interval's mean, with
    its least and greatest value and how many readings it holds. The blood pressure and
    glucose charts carry the patient's targets (lines to stay under, a range to stay in),
    and every chart its latest value, for the words above it."""
    zone = ZoneInfo(view.zone)
    by_code: dict[str, list[ChartLine]] = defaultdict(list)
    for line in view.lines:  # one code may come in two units (a weight in kg and in lb)
        by_code[line.code].append(line)
    charts = []
    for title, unit, codes, scale in CHARTS:
        lines = [
            {
                "label": _line_label(code, line.unit, len(by_code[code]) > 1),
                "code": code,
                "unit": line.unit,
                "points": _chart_points(line, zone),
            }
            for code in codes
            for line in by_code.get(code, ())
        ]
        if lines:
            chart = {"title": title, "unit": unit, "lines": lines, **scale}
            chart.update(_target_marks(title, targets))
            charts.append(chart)
    return {"charts": charts}


def _target_marks(title: str, targets: sharing.Targets) -> dict[str, Any]:
    if title == "Blood pressure":
        return {
            "targets": [
                {"at": targets.systolic, "label": f"systolic target {targets.systolic}"},
                {"at": targets.diastolic, "label": f"diastolic target {targets.diastolic}"},
            ]
        }
    if title == "Glucose":
        low, high = targets.glucose_low, targets.glucose_high
        return {"band": {"low": low, "high": high, "label": f"target range {low}-{high}"}}
    return {}


def _line_label(code: str, unit: str, units: bool) -> str:
    label = CHARTED.get(code) or ("Glucose (sensor)" if code == SENSOR_GLUCOSE else "Glucose")
    return f"{label} ({readable_unit(unit)})" if units else label


def _chart_points(line: ChartLine, zone: ZoneInfo) -> list[dict[str, Any]]:
    if line.resolution == "full":
        return [
            {"t": s.at.astimezone(zone).isoformat(), "v": round(s.value, 1)} for s in line.samples
        ]
    return [
        {
            "t": b.start.astimezone(zone).isoformat(),
            "v": round(b.mean, 1),
            "min": round(b.low, 1),
            "max": round(b.high, 1),
            "n": b.count,
        }
        for b in line.bins
    ]


# The columns of the home readings table: a heading and the LOINC codes that fill it.
READING_COLUMNS = (
    ("Blood pressure", (SYSTOLIC, DIASTOLIC)),
    ("Heart rate", (HEART_RATE,)),
    ("Glucose", (GLUCOSE, GLUCOSE_SERUM, GLUCOSE_MMOL_BLOOD)),
    ("Weight", (WEIGHT,)),
    ("Height", (HEIGHT,)),
    ("BMI", (BMI,)),
)
# Then what the patient wrote or chose at the same sitting, as they read it.
STATEMENT_COLUMNS = (
    ("Pain", PAIN),
    ("Mood", MOOD),
    ("Activity", ACTIVITY),
    ("Diet", DIET_NOTE),
    ("Note", NOTE),
)


@dataclass(frozen=True, slots=True)
class ReadingsTable:
    """A patient's home readings as one table: a row per sitting, newest first."""

    columns: tuple[str, ...]
    rows: tuple[tuple[datetime, tuple[str, ...]], ...]
    segments: int
    # Which page of how many, of how many sittings in all (one page when not paged).
    page: int = 1
    pages: int = 1
    total: int = 0


def page_of(args: Mapping[str, str]) -> int:
    """The page asked for in ``page`` (1 when not given); InvalidInput for a bad one."""
    given = args.get("page", "").strip()
    return whole_number(given, "page", 1, MAX_ID) if given else 1


def sittings_table(
    found: sharing.ReadingsPage, targets: sharing.Targets = sharing.DEFAULT_TARGETS
) -> ReadingsTable | None:
    """One page of home sittings as the readings table; None when there are none.

    The columns are those any sitting of the patient's fills (of the written ones, diet
    and notes, those this page fills), so paging does not move them. A blood pressure at
    or above the target, or a glucose outside the target range, is flagged in words."""
    if not found.total:
        return None
    columns = [(t, codes) for t, codes in READING_COLUMNS if found.codes.intersection(codes)]
    written = [(t, code) for t, code in STATEMENT_COLUMNS if code in found.codes]
    rows = tuple(
        (
            sitting.at,
            (
                *(_flagged(sitting.measured, codes, targets) for _, codes in columns),
                *("; ".join(sitting.said.get(code, ())) for _, code in written),
            ),
        )
        for sitting in found.sittings
    )
    titles = (*(t for t, _ in columns), *(t for t, _ in written))
    return ReadingsTable(titles, rows, 0, found.page, found.pages, found.total)


def home_readings(
    sections: Sequence[SectionRecord], types: Mapping[int, str | None]
) -> tuple[ReadingsTable | None, list[SectionRecord]]:
    """The sections of home readings documents as one table, a row per sitting, and the
    rest: vital signs and body measures, and the pain, mood, activity, diet and note the
    patient entered with them (where the reader may see those kinds).

    ``types`` maps document ids to their LOINC type (``sharing.document_types``); the
    sections are ones already read, so nothing is read again. A section whose sitting
    cannot be told (a note alone, with no timed entry) stays among the rest.
    """
    measured: dict[datetime, dict[str, Measurement]] = defaultdict(dict)
    said: dict[datetime, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    home = []
    for item in _home_sections(sections, types):
        if item.record.kind in VITAL_KINDS:
            for point in item.measurements:
                measured[point.at][point.code] = point
        elif item.statements:
            for statement in item.statements:
                said[statement.at][statement.code].append(statement.text)
        else:
            continue
        home.append(item)
    if not home:
        return None, list(sections)
    sittings = measured.keys() | said.keys()
    columns = [
        (title, codes)
        for title, codes in READING_COLUMNS
        if any(code in values for values in measured.values() for code in codes)
    ]
    written = [
        (title, code)
        for title, code in STATEMENT_COLUMNS
        if any(code in values for values in said.values())
    ]
    rows = tuple(
        (
            at,
            (
                *(_cell(measured.get(at, {}), codes) for _, codes in columns),
                *("; ".join(said[at][code]) if at in said else "" for _, code in written),
            ),
        )
        for at in sorted(sittings, reverse=True)
    )
    titles = (*(title for title, _ in columns), *(title for title, _ in written))
    table = ReadingsTable(titles, rows, len(home))
    shown = {id(s) for s in home}
    return table, [s for s in sections if id(s) not in shown]


def readings_csv(measured: Sequence[Point]) -> str:
    """Home readings as CSV for a spreadsheet: one row per measurement, newest first
    (when, what, LOINC code, value as recorded, its unit as people write it; mood as its
    word). Free text (diet, notes) stays out: these are the measurements."""
    rank = {code: i for i, code in enumerate(c for _, codes in READING_COLUMNS for c in codes)}
    points = list(measured)
    points.sort(key=lambda p: (rank.get(p.code, len(rank)), p.code))  # the table's order
    points.sort(key=lambda p: p.at, reverse=True)  # stable: newest sitting first
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["measured_at_utc", "measurement", "loinc", "value", "unit"])
    for p in points:
        name = MEASURE_NAMES.get(p.code, p.code)
        if p.code == MOOD:  # a word on the project's five-point scale: no LOINC, no unit
            row = [name, "", MOOD_WORDS[round(p.value)], ""]
        else:
            row = [name, p.code, f"{p.value:g}", readable_unit(p.unit)]
        writer.writerow([p.at.astimezone(UTC).isoformat(), *row])
    return out.getvalue()


def _home_sections(
    sections: Sequence[SectionRecord], types: Mapping[int, str | None]
) -> list[SectionRecord]:
    """The sections of charted kinds that came from home readings documents."""
    return [
        s
        for s in sections
        if s.record.kind in CHARTED_KINDS and types.get(s.record.document_id) == HOME_READINGS_TYPE
    ]


def _flagged(values: Mapping[str, Point], codes: tuple[str, ...], targets: sharing.Targets) -> str:
    cell = _cell(values, codes)
    flag = _flag(values, codes, targets)
    return f"{cell} {flag}" if cell and flag else cell


def _flag(values: Mapping[str, Point], codes: tuple[str, ...], targets: sharing.Targets) -> str:
    """Words for a reading outside the patient's targets ("" inside them)."""
    if codes[0] == SYSTOLIC:
        high, low = values.get(SYSTOLIC), values.get(DIASTOLIC)
        above = (high is not None and high.value >= targets.systolic) or (
            low is not None and low.value >= targets.diastolic
        )
        return "▲ at or above target" if above else ""
    found = next((values[c] for c in codes if c in values), None)
    if found is None or codes[0] != GLUCOSE:
        return ""
    mg = found.value * MG_PER_MMOL if found.unit == "mmol/L" else found.value
    if mg < targets.glucose_low:
        return "▼ below target"
    return "▲ above target" if mg > targets.glucose_high else ""


def _cell(values: Mapping[str, Measurement | Point], codes: tuple[str, ...]) -> str:
    found = [values[code] for code in codes if code in values]
    if not found:
        return ""
    if codes[0] == SYSTOLIC and len(found) == 2:  # systolic/diastolic, as people write it
        return f"{found[0].value:g}/{found[1].value:g} {readable_unit(found[0].unit)}"
    return f"{found[0].value:g} {readable_unit(found[0].unit)}"


def sharing_state(svc: sharing.Services, patient: Principal) -> dict[str, Any]:
    """Everything the sharing page shows for one patient, as the template's context."""
    found = sharing.sharing_overview(svc, patient)
    return {
        "by_kind": {kind: list(names) for kind, names in found.by_kind.items()},
        "patient_id": found.patient_id,
        "care": list(found.care),
        "active_clinicians": list(found.active_clinicians),
        "caregivers": list(found.caregivers),
        "caregiver_kinds": sharing.CAREGIVER_KINDS,
        "names": dict(found.names),
        "live_grants": list(found.live),
        "pending_grants": list(found.pending),
        "past_grants": list(found.past),
        "links": list(found.links),
        "levels": found.levels,
        "levels_all": list(Sensitivity),
        "released": set(found.released),
        "releasable": list(found.releasable),
        "now": found.now,
    }


# What a reason code means to the patient whose record was read.
_REASON_WORDS = {
    Reason.OWNER: "your own view",
    Reason.GRANT: "a grant you gave",
    Reason.SHARE_LINK: "a one-visit link you made",
    Reason.BREAK_GLASS: "emergency access",
    Reason.RESEARCH_RELEASE: "a research release you chose",
    Reason.DEID_CONTEXT: "read only to remove your details for research",
    Reason.SERIES_REBUILD: "read to redraw your charts; it stayed in your record",
    Reason.NO_GRANT: "no grant",
    Reason.KIND_NOT_GRANTED: "not in any grant",
    Reason.KIND_EXCEPTED: "excepted in your grant",
    Reason.RESTRICTED_KIND: "restricted: not named in a grant",
    Reason.VERY_RESTRICTED_KIND: "very restricted",
}
# Reads by one person, for one reason, this close together were one visit to the record.
VISIT_WINDOW = timedelta(minutes=1)


def kind_label(kind: SegmentKind | str) -> str:
    """A segment kind as people read it; anything else as it is."""
    try:
        return SegmentKind(kind).label
    except ValueError:
        return str(kind)


def document_type(code: str | None) -> str:
    """A document's LOINC type code in words; a generic name for one not in the table."""
    return DOCUMENT_TYPES.get(code or "", "Clinical document")


def filesize(size: int) -> str:
    """A byte count as people read it: 512 B, 18.1 kB, 2.4 MB (decimal units)."""
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def reason_words(code: str) -> str:
    """A decision's reason code in words for the patient."""
    try:
        return _REASON_WORDS.get(Reason(code), code.replace("-", " "))
    except ValueError:
        return code.replace("-", " ")


@dataclass(slots=True)
class ReadVisit:
    """Reads of a record by one actor, for one reason and outcome, within a minute."""

    at: datetime
    actor: str
    outcome: Outcome
    reason: str
    basis: str | None
    emergency: bool
    segments: dict[str, set[str]] = field(default_factory=dict)  # kind -> segments read
    reads: int = 0  # in all: a page reloaded reads its segments again
    report_days: int | None = None  # a visit report of so many days, not a read

    @property
    def kinds(self) -> Counter[str]:
        """How many different segments of each kind were read."""
        return Counter({kind: len(ids) for kind, ids in self.segments.items()})

    @property
    def count(self) -> int:
        """How many different segments were read."""
        return sum(len(ids) for ids in self.segments.values())


# Files people pick by mistake, by their first bytes.
_NOT_RECORDS = (
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "a picture (PNG)"),
    (b"\xff\xd8\xff", "a photo (JPEG)"),
    (b"PK\x03\x04", "a Word, Excel or zip file"),
    (b"{", "a JSON file"),
)
_READABLE_REFUSALS = frozenset(
    {"malformed-xml", "not-clinical-document", "empty-document", "schema-violation"}
)


def upload_refusal(data: bytes, error: InvalidDocument) -> str:
    """Why an upload was not stored, in words a patient reads: the file picked by mistake
    named, the parser's own words only where they say something a person can act on."""
    head = data[:8].lstrip()
    kind = next((words for magic, words in _NOT_RECORDS if head.startswith(magic)), None)
    if kind is not None:
        return (
            f"this is {kind}, not a health record PHR Share can read. It takes the C-CDA "
            "or CCD files (.xml) that clinics and patient portals export."
        )
    if error.code in _READABLE_REFUSALS:
        return (
            "this file is not a health record PHR Share can read. It takes the C-CDA or "
            "CCD files (.xml) that clinics and patient portals export."
        )
    return error.message


# Who, when they are not a person: the system's own readers, in words.
_SYSTEM_READERS = {
    "system:router": "The research release",
    "system:series": "PHR Share's chart upkeep",
}
# Why a read was allowed, as the end of a sentence.
_UNDER: dict[str, str] = {
    Reason.GRANT: ", under your sharing choice",
    Reason.SHARE_LINK: ", with a one-visit link you made",
    Reason.BREAK_GLASS: ", under emergency access",
    Reason.RESEARCH_RELEASE: ", for the research you chose to help",
    Reason.DEID_CONTEXT: ", only to remove your details for research",
    Reason.SERIES_REBUILD: ", to redraw your charts (it stayed in your record)",
}


def visit_sentence(visit: ReadVisit, who: str, *, day: str, clock: str) -> str:
    """A visit as a sentence the patient reads: "Dr Alex Kim read your vital signs 3 times
    on 2 Dec 2026 at 14:30, under your sharing choice." ``who`` is the reader's name
    (a system reader is named here), ``day`` and ``clock`` the time in the patient's zone."""
    who = _SYSTEM_READERS.get(visit.actor, who)
    when = f"on {day} at {clock}"
    times = f" {visit.reads} times" if visit.reads > 1 else ""
    if visit.report_days is not None:
        report = f"a visit report of the last {visit.report_days} days{times}"
        return _sentence(visit, who, ("downloaded", "asked for"), f"{report} {when}")
    labels = [_KINDS[k].label.lower() for k, _ in visit.kinds.most_common() if k in _KINDS]
    what = _and(labels) if labels else "your record"
    return _sentence(visit, who, ("read", "asked to read"), f"your {what}{times} {when}")


def _sentence(visit: ReadVisit, who: str, verbs: tuple[str, str], what: str) -> str:
    """``who`` did (or asked to do, and was refused) ``what``, and on what basis: "Dr Alex
    Kim downloaded a visit report of the last 90 days on 2 Dec 2026 at 14:30, under your
    sharing choice." ``verbs`` are the deed and the asking."""
    done, asked = verbs
    if visit.outcome is not Outcome.OK:
        return f"{who} {asked} {what} and was refused ({reason_words(visit.reason)})."
    if visit.reason == Reason.OWNER:
        return f"You {done} {what}."
    # Reasons are StrEnum members: their codes look them up as they are.
    under = _UNDER.get(visit.reason, f", {reason_words(visit.reason)}")
    return f"{who} {done} {what}{under}."


_KINDS = {kind.value: kind for kind in SegmentKind}


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def visits(events: Sequence[AccessEvent]) -> list[ReadVisit]:
    """Reads grouped into visits, newest first; ``events`` are oldest first, as stored.

    A read joins the latest visit of the same actor, outcome, reason and basis when it
    came within a minute of that visit's newest read, even if others read in between.
    """
    found: list[ReadVisit] = []
    latest: dict[tuple[object, ...], ReadVisit] = {}
    for event in reversed(events):
        key = (
            event.actor,
            event.outcome,
            event.reason,
            event.basis,
            event.emergency,
            event.report_days,
        )
        visit = latest.get(key)
        if visit is None or visit.at - event.at > VISIT_WINDOW:
            visit = ReadVisit(
                event.at,
                event.actor,
                event.outcome,
                event.reason,
                event.basis,
                event.emergency,
                report_days=event.report_days,
            )
            latest[key] = visit
            found.append(visit)
        visit.segments.setdefault(event.kind, set()).add(event.segment)
        visit.reads += 1
    return found


# What a patient looks for first in their own record, by the words of a section's title.
_RECORD_ORDER = ("problem", "medication", "allerg", "result", "immuni", "procedure", "vital")


def ordered_record(sections: Iterable[SectionRecord]) -> list[SectionRecord]:
    """A patient's own sections, problems, medications, allergies and results first, the
    rest after them in the order they were stored."""

    def rank(item: SectionRecord) -> int:
        title = (item.view.title or "").lower()
        return next(
            (i for i, word in enumerate(_RECORD_ORDER) if word in title), len(_RECORD_ORDER)
        )

    return sorted(sections, key=rank)


@dataclass(frozen=True, slots=True)
class HomeDocuments:
    """The home readings documents, told as one row of "What is stored": one document per
    sitting, so listed one by one they would be thousands of identical rows."""

    count: int
    first: datetime
    last: datetime
    size: int
    segments: int


def stored_overview(
    documents: Sequence[sharing.DocumentRecord],
) -> tuple[list[sharing.DocumentRecord], HomeDocuments | None]:
    """The documents other than home readings (records from clinics, notes), and the home
    readings documents summed up; None when there are none."""
    home = [d for d in documents if d.type_code == HOME_READINGS_TYPE]
    others = [d for d in documents if d.type_code != HOME_READINGS_TYPE]
    if not home:
        return others, None
    times = [d.stored_at for d in home]
    return others, HomeDocuments(
        len(home),
        min(times),
        max(times),
        sum(d.size for d in home),
        sum(len(d.segments) for d in home),
    )


def measure_name(loinc: str) -> str:
    """A LOINC code as a person reads it: its name where PHR Share charts it."""
    name = CHARTED.get(loinc)
    return f"{name} (LOINC {loinc})" if name else f"LOINC {loinc}"


# What the templates use beside Jinja's own filters.
FILTERS = {
    "measure_name": measure_name,
    "readable_unit": readable_unit,
    "kind_label": kind_label,
    "reason_words": reason_words,
    "filesize": filesize,
    "document_type": document_type,
}
