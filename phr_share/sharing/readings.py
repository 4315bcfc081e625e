"""A patient's home readings as sittings, newest first, a page at a time, from the series.

The sittings and their measurements come from the series (one audited read per kind);
what the patient wrote or chose at a sitting (pain, mood, activity, diet, a note) is
read from the segments of that page's sittings only, so a page costs the same however
many years of readings there are. Only home readings documents count: a clinic's vital
signs are shown with the document they came in.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

from phr_share.ccda.narrative import NOTE, narrative_text
from phr_share.ccda.readings_cda import HOME_READINGS
from phr_share.consent import Principal, Purpose
from phr_share.models import SegmentKind
from phr_share.series.bucket import points_of
from phr_share.series.points import SENSOR_GLUCOSE, Point
from phr_share.sharing.charts import CHARTED_KINDS
from phr_share.sharing.clinical import SectionRecord
from phr_share.sharing.read import current_records, current_sources, read_permitted
from phr_share.sharing.series import SeriesRead, read_series
from phr_share.sharing.services import Services

__all__ = ["PER_PAGE", "ReadingsPage", "Sitting", "home_points", "readings_page"]

PER_PAGE = 20
# Measured values come from these kinds; the patient's words from the others charted.
_MEASURED = frozenset({SegmentKind.PHYSICAL_SIGNS, SegmentKind.BODY_MEASURES})
_SAID = CHARTED_KINDS - _MEASURED


@dataclass(frozen=True, slots=True)
class Sitting:
    """One sitting: when, each value measured (by code), and what was said (by code)."""

    at: datetime
    measured: Mapping[str, Point]
    said: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ReadingsPage:
    """One page of a patient's sittings, newest first, of ``total`` in ``pages`` pages;
    ``codes`` are every code measured or said in any sitting (the table's columns), and
    ``documents`` the home readings documents (shown as this table, not as sections)."""

    sittings: tuple[Sitting, ...]
    page: int
    pages: int
    total: int
    codes: frozenset[str]
    documents: frozenset[int]


def readings_page(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    purpose: Purpose = Purpose.TREATMENT,
    read: SeriesRead | None = None,
) -> ReadingsPage:
    """Page ``page`` (from 1; past the last gives the last) of the patient's home
    sittings that ``principal`` may see: the kinds the decision point refuses add nothing,
    and every series and segment read is audited. ``read`` is the series this principal
    already read of the patient for this purpose, if any (a dashboard's). ValueError for
    a page under 1, or a ``read`` of someone else's."""
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    sources = current_sources(svc, patient_id, CHARTED_KINDS, HOME_READINGS.code)
    if read is None:
        read = read_series(svc, principal, patient_id, kinds=CHARTED_KINDS, purpose=purpose)
    read.check(principal, patient_id, purpose)
    rows = {kind: _home_rows(table, sources) for kind, table in read.tables.items()}
    # Documents with no measurement at all (a note alone) are read whole: they are few.
    measured_in = {
        sources[uuid.UUID(bytes=s)]
        for table in rows.values()
        for s in pc.unique(table.column("source")).to_pylist()
    }
    wordy = set(sources.values()) - measured_in
    # A sensor's readings every few minutes are no sittings: the glucose profile shows them.
    rows = {kind: _not_sensor(table) for kind, table in rows.items()}
    said_alone, told = (
        _said(svc, principal, patient_id, dict.fromkeys(wordy), purpose) if wordy else ({}, set())
    )
    times = {t for table in rows.values() for t in pc.unique(table.column("at")).to_pylist()}
    times |= {int(at.timestamp()) for at in said_alone}
    ordered = sorted(times, reverse=True)
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(page, pages)
    shown = ordered[(page - 1) * per_page : page * per_page]
    wanted = pa.array(shown, pa.int64())
    points = [
        p
        for kind, table in rows.items()
        for p in points_of(table.filter(pc.is_in(table.column("at"), wanted)), kind.value)
    ]
    # Each document on the page, at its sitting: untimed words in it belong there too.
    sittings = {sources[p.source]: p.at.astimezone(UTC) for p in points}
    said, _ = _said(svc, principal, patient_id, sittings, purpose) if sittings else ({}, set())
    said.update(said_alone)
    codes = {
        c
        for t in rows.values()
        for c in pc.unique(pc.cast(t.column("code"), pa.utf8())).to_pylist()
    }
    codes |= {code for words in said.values() for code in words}
    return ReadingsPage(
        _sittings(shown, points, said),
        page,
        pages,
        len(ordered),
        frozenset(codes),
        # A note alone with no time of its own is no sitting: it stays a section.
        frozenset(measured_in | told),
    )


def _home_rows(table: pa.Table, sources: Mapping[uuid.UUID, int]) -> pa.Table:
    """The rows of a kind's series that came from home readings documents."""
    home = pa.array([s.bytes for s in sources], pa.binary(16))
    return table.filter(pc.is_in(table.column("source"), home))


def _not_sensor(table: pa.Table) -> pa.Table:
    """The rows of a series that are not continuous glucose from a sensor."""
    return table.filter(pc.not_equal(pc.cast(table.column("code"), pa.utf8()), SENSOR_GLUCOSE))


def _said(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    documents: Mapping[int, datetime | None],
    purpose: Purpose,
) -> tuple[dict[datetime, dict[str, tuple[str, ...]]], set[int]]:
    """What the patient wrote or chose in these documents (each with its sitting's time,
    when known), by sitting and code, and the documents it was found in. A section with
    no time of its own (a note alone) joins its document's sitting as a note."""
    records = current_records(svc, patient_id, _SAID, documents=documents)
    found: dict[datetime, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    told = set()
    for record, content in read_permitted(svc, principal, records, purpose=purpose):
        statements = SectionRecord.of(record, content).statements
        sitting = documents.get(record.document_id)
        if not statements and sitting is not None:
            words = narrative_text(content).strip()
            if words:
                found[sitting][NOTE].append(words)
                told.add(record.document_id)
        for statement in statements:
            at = statement.at.astimezone(UTC).replace(microsecond=0)
            found[at][statement.code].append(statement.text)
            told.add(record.document_id)
    said = {at: {code: tuple(texts) for code, texts in by.items()} for at, by in found.items()}
    return said, told


def _sittings(
    shown: list[int],
    points: Iterable[Point],
    said: Mapping[datetime, Mapping[str, tuple[str, ...]]],
) -> tuple[Sitting, ...]:
    measured: dict[int, dict[str, Point]] = defaultdict(dict)
    kinds = {kind.value for kind in _MEASURED}
    for point in points:
        if point.kind in kinds:
            measured[int(point.at.timestamp())][point.code] = point
    words = {int(at.timestamp()): by for at, by in said.items()}
    return tuple(
        Sitting(datetime.fromtimestamp(t, UTC), measured.get(t, {}), words.get(t, {}))
        for t in shown
    )


def home_points(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    purpose: Purpose = Purpose.TREATMENT,
) -> list[Point]:
    """Every measurement of the patient's home readings the principal may see, newest
    sitting first (for a download); one audited read per kind."""
    sources = current_sources(svc, patient_id, CHARTED_KINDS, HOME_READINGS.code)
    read = read_series(svc, principal, patient_id, kinds=CHARTED_KINDS, purpose=purpose)
    points = [
        p
        for kind, table in read.tables.items()
        for p in points_of(_home_rows(table, sources), kind.value)
    ]
    return sorted(points, key=lambda p: p.at, reverse=True)
