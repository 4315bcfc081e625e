"""A patient's measurement series: written with each document, read through the decision point.

Every measurement of the kinds in ``SERIES_KINDS`` is also kept in monthly buckets, one
per patient, kind and calendar month (UTC), each sealed with the patient's key in the
index (:class:`~phr_share.db.SeriesBucket`). Ingest writes a document's points in the
transaction that marks the document stored, so the journal covers them: a document is
visible with its points or not at all, a retry merges rather than doubles, and a new
version of a document takes the points of the versions before it away.

A bucket is written as a revision: the writer reads the row, merges, and updates it only
if the revision is still the one it read; a writer that lost the race starts its
transaction again. The segments stay the record of truth: :func:`rebuild_series` throws
a patient's buckets away and writes them again from the segments, read (and audited)
through the decision point as the series rebuild.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

from phr_share.audit import Action, Outcome
from phr_share.ccda.narrative import parse_section
from phr_share.consent import Decision, Principal, Purpose, Role
from phr_share.db import SeriesBucket, Session
from phr_share.db.queries import documents as document_rows
from phr_share.db.queries import series as series_rows
from phr_share.errors import PhrShareError, StoreConflict
from phr_share.models import SERIES_KINDS, SERIES_REBUILDER, Segment, SegmentKind
from phr_share.series.bucket import merge_columns, month_of, points_of
from phr_share.series.points import Point
from phr_share.series.sealed import BucketAddress, open_bucket, seal_columns
from phr_share.sharing.access import authorize
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_owner_or_operator
from phr_share.sharing.keys import current_patient_key, patient_key, refuse_erased
from phr_share.sharing.read import current_records, read_permitted
from phr_share.sharing.services import Services

__all__ = [
    "REBUILDER",
    "RebuildReport",
    "SeriesRead",
    "read_series",
    "rebuild_series",
    "segment_points",
    "write_points",
]

# Who reads the segments when a series is rebuilt: the system, for maintenance only.
REBUILDER = Principal(SERIES_REBUILDER, Role.SYSTEM)


class BucketMoved(StoreConflict):
    """Another writer changed a bucket between this writer's read and its update."""


def segment_points(segments: Iterable[Segment]) -> dict[str, list[Point]]:
    """The points of a document's segments, by kind: every finite measurement with a
    time in a segment of the kinds the series keeps. No I/O; raises InvalidDocument for
    a segment that does not parse (a split segment always does)."""
    found: dict[str, list[Point]] = defaultdict(list)
    for segment in segments:
        if segment.kind in SERIES_KINDS:
            _add(found, segment.tracking_id, segment.kind, segment.content)
    return dict(found)


def _add(found: dict[str, list[Point]], tracking: uuid.UUID, kind: SegmentKind, xml: bytes) -> None:
    for m in parse_section(xml, entries=True).measurements:
        if math.isfinite(m.value) and m.at.utcoffset() is not None:
            # A bucket keeps whole seconds: so does the point, or a retry would double it.
            at = m.at.replace(microsecond=0)
            found[kind.value].append(Point(m.code, m.value, m.unit, at, tracking, kind.value))


def write_points(
    svc: Services,
    session: Session,
    patient_id: uuid.UUID,
    added: Mapping[str, Iterable[Point]],
    removed: frozenset[uuid.UUID],
    key: tuple[str, bytes],
) -> int:
    """Merge ``added`` into the patient's buckets and take away the points of the
    ``removed`` sources, in ``session``'s transaction; returns how many buckets changed.

    Raises BucketMoved when another writer changed a bucket first (the caller's whole
    transaction must start again), IntegrityError for a bucket that does not open.
    """
    by_month: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for kind, points in added.items():
        for point in points:
            by_month[(kind, month_of(point.at))].append(point)
    if removed:
        locked = series_rows.lock_buckets(session, patient_id)
    else:  # only the months the document touches
        kinds = {kind for kind, _ in by_month}
        months = {month for _, month in by_month}
        locked = series_rows.lock_buckets(session, patient_id, kinds=kinds, months=months)
    rows = {(r.kind, r.month): r for r in locked}
    changed = 0
    for address in sorted(set(by_month) | set(rows)):
        row = rows.get(address)
        existing = None if row is None else _rewrite(svc, session, row, key)
        merged = merge_columns(existing, removed, by_month.get(address, ()))
        if merged is None:
            continue
        changed += 1
        _store(svc, session, patient_id, address, row, merged, key)
    return changed


def _rewrite(
    svc: Services, session: Session, row: SeriesBucket, current: tuple[str, bytes]
) -> pa.Table:
    """The columns of a bucket about to be written again (nothing leaves the system);
    ``current`` is the patient key the writer holds, most often the one the row names."""
    if row.key_id == current[0]:
        return _open_row(row, current[1])
    return _open_row(row, patient_key(svc, session, row.patient_id, row.key_id))


def _open_row(row: SeriesBucket, key: bytes) -> pa.Table:
    address = BucketAddress(row.patient_id, row.kind, row.month, row.revision)
    return open_bucket(row.sealed, address, row.key_id, key)


def _store(
    svc: Services,
    session: Session,
    patient_id: uuid.UUID,
    bucket: tuple[str, str],
    row: SeriesBucket | None,
    points: pa.Table,
    key: tuple[str, bytes],
) -> None:
    kind, month = bucket
    if row is not None and not points.num_rows:
        if not series_rows.delete_bucket(session, row.id, row.revision):
            raise BucketMoved("a series bucket changed while it was written; try again")
        return
    revision = 1 if row is None else row.revision + 1
    address = BucketAddress(patient_id, kind, month, revision)
    sealed = seal_columns(points, address, key[0], key[1], randbytes=svc.randbytes)
    if row is None:
        session.add(
            SeriesBucket(
                patient_id=patient_id,
                kind=kind,
                month=month,
                revision=revision,
                points=points.num_rows,
                key_id=key[0],
                sealed=sealed,
            )
        )
        session.flush()  # a row another writer inserted first fails here, not at commit
        return
    moved = series_rows.update_bucket(
        session,
        row.id,
        row.revision,
        new_revision=revision,
        points=points.num_rows,
        key_id=key[0],
        sealed=sealed,
    )
    if not moved:
        raise BucketMoved("a series bucket changed while it was written; try again")


@dataclass(frozen=True, slots=True)
class SeriesRead:
    """The buckets of the kinds a reader was let see, as columns (see ``series.bucket``),
    and the kinds the decision point refused (unread)."""

    tables: Mapping[SegmentKind, pa.Table]
    denied: frozenset[SegmentKind]
    # Whose series, read by whom, for what: a page that reads it once passes it on.
    patient_id: uuid.UUID | None = None
    reader: str = ""
    purpose: Purpose = Purpose.TREATMENT

    def check(self, principal: Principal, patient_id: uuid.UUID, purpose: Purpose) -> None:
        """ValueError unless this is what ``principal`` read of the patient for ``purpose``."""
        if (self.patient_id, self.reader, self.purpose) != (patient_id, principal.id, purpose):
            raise ValueError("a series read is passed on only to the same reader and patient")

    def points(self) -> list[Point]:
        """Every point read, oldest first within each kind."""
        return [p for kind, table in self.tables.items() for p in points_of(table, kind.value)]


def read_series(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    *,
    kinds: Collection[SegmentKind] = SERIES_KINDS,
    purpose: Purpose = Purpose.TREATMENT,
) -> SeriesRead:
    """The patient's series of ``kinds`` that
    the decision point lets ``principal`` read: one decision and one audited read per
    kind; a refused kind is skipped, unread. Raises IntegrityError for a bucket that does
    not open (audited as a failed read), KeyErased after erasure."""
    wanted = set(kinds) & SERIES_KINDS
    with svc.db.session() as session:
        refuse_erased(session, patient_id)
        decisions = authorize(session, principal, patient_id, wanted, purpose, svc.clock())
        allowed = sorted(k for k in wanted if decisions[k].permit)
        rows: dict[str, list[SeriesBucket]] = defaultdict(list)
        for row in series_rows.buckets_of(session, patient_id, allowed):
            rows[row.kind].append(row)
        tables: dict[SegmentKind, pa.Table] = {}
        failure: PhrShareError | None = None
        for kind in allowed:
            found = rows.get(kind.value, [])
            try:
                opened = _open_rows(svc, session, patient_id, found)
                if opened is not None:
                    tables[kind] = opened
                error = None
            except PhrShareError as caught:
                error = failure = failure or caught
            _audit_read(
                svc,
                session,
                principal,
                patient_id,
                kind,
                purpose,
                decisions[kind],
                len(found),
                error,
            )
    if failure is not None:
        raise failure
    return SeriesRead(tables, frozenset(wanted) - set(allowed), patient_id, principal.id, purpose)


def _open_rows(
    svc: Services, session: Session, patient_id: uuid.UUID, rows: list[SeriesBucket]
) -> pa.Table | None:
    """One kind's buckets, in order, as one table (None when there are none)."""
    keys = {k: patient_key(svc, session, patient_id, k) for k in {r.key_id for r in rows}}
    opened = [_open_row(row, keys[row.key_id]) for row in rows]
    return pa.concat_tables(opened) if opened else None


def _audit_read(
    svc: Services,
    session: Session,
    principal: Principal,
    patient_id: uuid.UUID,
    kind: SegmentKind,
    purpose: Purpose,
    decision: Decision,
    buckets: int,
    error: PhrShareError | None,
) -> None:
    """One entry for one kind's series read, as a segment read is logged."""
    details: dict[str, str | int] = {
        "kind": kind.value,
        "purpose": purpose.value,
        "reason": decision.reason.value,
        "buckets": buckets,
    }
    if decision.basis is not None:
        details["basis"] = decision.basis
    if decision.emergency:
        details["emergency"] = 1
    if error is not None:
        details["error"] = error.code
    audit(
        svc,
        session,
        Action.READ,
        principal.id,
        patient_id=patient_id,
        subject=f"series:{kind.value}",
        outcome=Outcome.OK if error is None else Outcome.FAILED,
        details=details,
    )


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild wrote: the segments it read, the buckets and the points."""

    segments: int
    buckets: int
    points: int


def rebuild_series(svc: Services, principal: Principal, patient_id: uuid.UUID) -> RebuildReport:
    """Throw the patient's series away and write it again from their current segments
    (after a bug fix or a mapping change), as the patient or the operator; raises
    AccessDenied for anyone else, StoreConflict when documents kept being stored while it
    read. The segments are read as the series rebuild, each read audited; the new
    buckets replace the old in one transaction, only if no document was stored since the
    segments were listed (otherwise it reads again)."""
    require_owner_or_operator(principal, patient_id)
    for _ in range(_REBUILD_ATTEMPTS):
        with svc.db.session() as session:
            before = document_rows.stored_so_far(session, patient_id)
        records = current_records(svc, patient_id, SERIES_KINDS)
        read = read_permitted(svc, REBUILDER, records, purpose=Purpose.MAINTENANCE)
        found: dict[str, list[Point]] = defaultdict(list)
        for record_, content in read:
            _add(found, record_.tracking_id, record_.kind, content)
        with svc.db.session() as session:
            if document_rows.stored_so_far(session, patient_id) != before:
                continue  # a document came in meanwhile: its points would be lost
            series_rows.delete_buckets(session, patient_id)
            key = current_patient_key(svc, session, patient_id)
            write_points(svc, session, patient_id, found, frozenset(), key)
            report = RebuildReport(
                len(read),
                len({(k, month_of(p.at)) for k, ps in found.items() for p in ps}),
                sum(len(ps) for ps in found.values()),
            )
            details = {"segments": report.segments, "buckets": report.buckets}
            audit(
                svc,
                session,
                Action.SERIES_REBUILD,
                principal.id,
                patient_id=patient_id,
                details={**details, "points": report.points},
            )
        return report
    raise StoreConflict("documents were being stored while the series was rebuilt; try again")


# How many times a rebuild reads again when documents were stored while it read.
_REBUILD_ATTEMPTS = 3
