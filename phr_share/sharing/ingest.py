"""Ingest: split a document, seal every segment, store it privately, index it, all or nothing.

The database row of a document is written first, as ``pending``: it is the journal that
names every object the ingest is about to write. Objects go to the patient's container
in parallel; only when all of them are stored does the document become ``stored`` and
visible. A failure removes the objects already written and the pending rows; if the
store is down so that cleanup itself fails, the pending journal stays and a retry (or
:func:`recover`) finishes the job. Object names are deterministic, so a retry overwrites
rather than duplicates. The journal is held by one attempt at a time
(:mod:`phr_share.sharing.journal`): of two ingests of the same document at once, one
stores it and reports it new, the other writes nothing and is told to try again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from phr_share.audit import Action, Outcome
from phr_share.ccda.split import SplitDocument, split_document
from phr_share.crypto import ALGORITHM, FORMAT_VERSION, Binding, seal
from phr_share.db import DocumentStatus, RowConflict, Session
from phr_share.db.queries import documents as document_rows
from phr_share.db.queries import releases as release_rows
from phr_share.errors import PhrShareError, StoreConflict
from phr_share.models import Principal, Segment, SegmentKind
from phr_share.series.points import Point
from phr_share.sharing.audit import record
from phr_share.sharing.guard import require_owner_or_operator, require_steward
from phr_share.sharing.journal import (
    being_stored,
    claim,
    container_for,
    let_go,
    new_document,
    object_name,
    roll_back,
)
from phr_share.sharing.keys import current_patient_key, ensure_patient
from phr_share.sharing.metrics import StoreRole, note_store_error
from phr_share.sharing.series import (
    BucketMoved,
    segment_points,
    write_points,
)
from phr_share.sharing.services import Services

__all__ = [
    "IngestResult",
    "Placement",
    "container_for",
    "ingest_batch",
    "ingest_document",
    "object_name",
    "recover",
    "store_document",
]

# One written segment: its tracking id, version and ciphertext hash.
_Sealed = tuple[uuid.UUID, int, str]

# How many times a document's last transaction starts again after another document of
# the same patient wrote one of its series buckets first.
_SERIES_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one segment went: its private object, and whether it is queued for research."""

    tracking_id: uuid.UUID
    kind: SegmentKind
    title: str | None
    size: int
    container: str
    object_name: str
    research: bool


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The outcome of one document; ``created`` is False when it was already stored."""

    document_id: int
    patient_id: uuid.UUID
    version: int
    created: bool
    placements: tuple[Placement, ...]
    # For home readings: the danger-zone signs they show ("very-high-systolic", ...).
    danger: tuple[str, ...] = ()


def ingest_document(
    svc: Services, principal: Principal, data: bytes, patient_id: uuid.UUID
) -> IngestResult:
    """Ingest one document into the patient's record, as the patient themself or the
    operator. Raises AccessDenied for anyone else, InvalidDocument before any write,
    StorageError after rollback."""
    require_owner_or_operator(principal, patient_id)
    return store_document(svc, data, patient_id, principal.id)


def store_document(svc: Services, data: bytes, patient_id: uuid.UUID, actor: str) -> IngestResult:
    """Ingest one document for a caller that has already checked who acts (``actor``, a
    principal id for the log); raises as :func:`ingest_document` does."""
    outcome = _ingest_all(svc, [(data, patient_id)], None, actor)[0]
    if isinstance(outcome, PhrShareError):
        raise outcome
    return outcome


def ingest_batch(
    svc: Services,
    principal: Principal,
    items: Sequence[tuple[bytes, uuid.UUID]],
    progress: Callable[[int], None] | None = None,
) -> list[IngestResult | PhrShareError]:
    """Ingest documents with their writes overlapped; each document is all or nothing.

    Returns, per item in order, its result or the domain error that refused it. The
    patient (for their own documents) or the operator; raises AccessDenied otherwise,
    before anything is stored.
    """
    for patient_id in {patient_id for _, patient_id in items}:
        require_owner_or_operator(principal, patient_id)
    return _ingest_all(svc, items, progress, principal.id)


def _ingest_all(
    svc: Services,
    items: Sequence[tuple[bytes, uuid.UUID]],
    progress: Callable[[int], None] | None,
    actor: str,
) -> list[IngestResult | PhrShareError]:
    outcomes: list[IngestResult | PhrShareError | None] = [None] * len(items)
    first_of: dict[tuple[uuid.UUID, str], int] = {}
    repeats: dict[int, int] = {}
    with ThreadPoolExecutor(svc.settings.store_concurrency, "phr-put") as pool:
        running: list[tuple[int, _Job]] = []
        ensured: set[uuid.UUID] = set()
        for index, (data, patient_id) in enumerate(items):
            digest = hashlib.sha256(data).hexdigest()
            first = first_of.setdefault((patient_id, digest), index)
            if first != index:  # the same document twice in one batch is stored once
                repeats[index] = first
                continue
            started = _start(svc, pool, data, digest, patient_id, ensured)
            if isinstance(started, _Job):
                running.append((index, started))
            else:
                outcomes[index] = started
                _tick(progress)
        for index, job in running:
            outcomes[index] = _finish(svc, job, actor)
            _tick(progress)
    for index, first in repeats.items():
        outcome = outcomes[first]
        outcomes[index] = (
            replace(outcome, created=False) if isinstance(outcome, IngestResult) else outcome
        )
        _tick(progress)
    return [o for o in outcomes if o is not None]


def _start(
    svc: Services,
    pool: ThreadPoolExecutor,
    data: bytes,
    digest: str,
    patient_id: uuid.UUID,
    ensured: set[uuid.UUID],
) -> _Job | IngestResult | PhrShareError:
    """Journal one document and submit its writes; or what came of it at once."""
    try:
        job = _prepare(svc, data, digest, patient_id, patient_id in ensured)
    except PhrShareError as error:
        return error
    if job.done is not None:
        return job.done
    try:
        if patient_id not in ensured:
            svc.private.ensure_container(container_for(patient_id))
            ensured.add(patient_id)
    except PhrShareError as error:
        note_store_error(svc.metrics, StoreRole.PRIVATE, "ensure_container", error)
        roll_back(svc, job.document_id, job.attempt)
        return error
    job.futures = [pool.submit(_put, svc, job, s) for s in job.to_write]
    return job


def _tick(progress: Callable[[int], None] | None) -> None:
    if progress is not None:
        progress(1)


@dataclass(slots=True)
class _Job:
    split: SplitDocument
    attempt: str
    document_id: int
    version: int
    key_id: str
    key: bytes
    placements: tuple[Placement, ...]
    to_write: tuple[Segment, ...]
    done: IngestResult | None = None
    futures: list[Future[str]] | None = None
    # What goes into the patient's series with the document, by kind.
    points: dict[str, list[Point]] = field(default_factory=dict)
    series: str = ""  # the document's version series


def _prepare(
    svc: Services, data: bytes, digest: str, patient_id: uuid.UUID, known: bool = False
) -> _Job:
    """Parse and split (no I/O yet), then journal the document as pending, claimed by
    this attempt; StoreConflict while another attempt holds it. ``known``: the patient's
    row was seen earlier in this batch."""
    split = split_document(data, patient_id, svc.settings.xml_limits)
    try:
        with svc.db.session() as session:
            job = _journal(svc, session, split, digest, svc.new_uuid().hex, known)
    except RowConflict as error:
        # The unique index on (patient, content hash) let the other attempt's row in.
        raise being_stored() from error
    if job.done is None:
        job.points = segment_points(split.segments)
    return job


def _journal(
    svc: Services, session: Session, split: SplitDocument, digest: str, attempt: str, known: bool
) -> _Job:
    patient_id = split.patient_id
    if not known:
        ensure_patient(svc, session, patient_id)
    released = {SegmentKind(k) for k in release_rows.released_kinds(session, patient_id)}
    key_id, key = current_patient_key(svc, session, patient_id)
    document = document_rows.document_by_content(session, patient_id, digest)
    if document is None:
        document = new_document(svc, session, split, digest, key_id, attempt)
    elif document.status != DocumentStatus.STORED:
        if not claim(svc, session, document.id, attempt):
            raise being_stored()
        # A journal an interrupted attempt left: write everything again under the
        # current key; names are the same, so nothing is duplicated.
        document_rows.rekey_segments(session, document.id, key_id)
    # The same bytes split the same way: the placements follow from the split alone.
    placements = tuple(_placement(svc, s, document.version, released) for s in split.segments)
    job = _Job(
        split, attempt, document.id, document.version, key_id, key, placements, split.segments
    )
    job.series = document.series
    if document.status == DocumentStatus.STORED:
        job.done = IngestResult(document.id, patient_id, document.version, False, placements)
    return job


def _placement(
    svc: Services, segment: Segment, version: int, released: set[SegmentKind]
) -> Placement:
    return Placement(
        segment.tracking_id,
        segment.kind,
        segment.title,
        len(segment.content),
        container_for(segment.patient_id),
        object_name(segment.kind.value, segment.tracking_id, version),
        svc.routing.route(segment.kind, released).public,
    )


def _put(svc: Services, job: _Job, segment: Segment) -> str:
    binding = Binding(segment.patient_id, segment.tracking_id, segment.kind.value, job.key_id)
    blob = seal(segment.content, job.key, binding, randbytes=svc.randbytes)
    digest = hashlib.sha256(blob).hexdigest()
    metadata = {
        "tracking-id": str(segment.tracking_id),
        "kind": segment.kind.value,
        "key-id": job.key_id,
        "alg": ALGORITHM,
        "format": str(FORMAT_VERSION),
        "ciphertext-sha256": digest,
    }
    svc.private.put(
        container_for(segment.patient_id),
        object_name(segment.kind.value, segment.tracking_id, job.version),
        blob,
        metadata,
    )
    return digest


def _finish(svc: Services, job: _Job, actor: str) -> IngestResult | PhrShareError:
    """Wait for a document's writes; mark it stored, or roll it back."""
    assert job.futures is not None
    failure: BaseException | None = None
    for future in job.futures:
        error = future.exception()
        failure = failure or error
    if failure is not None:
        note_store_error(svc.metrics, StoreRole.PRIVATE, "put", failure)
        roll_back(svc, job.document_id, job.attempt)
        code = failure.code if isinstance(failure, PhrShareError) else "internal"
        with svc.db.session() as session:
            _audit(svc, session, job, actor, Outcome.FAILED, {"error": code})
        if isinstance(failure, PhrShareError):
            return failure
        raise failure
    digests = [
        (s.tracking_id, job.version, f.result())
        for s, f in zip(job.to_write, job.futures, strict=True)
    ]
    try:
        held = _store_marked(svc, job, actor, digests)
    except PhrShareError as error:
        # The series could not be written (a bucket that does not open, an erased key,
        # the database gone): the document goes whole, and the others of the batch on.
        roll_back(svc, job.document_id, job.attempt)
        with svc.db.session() as session:
            _audit(svc, session, job, actor, Outcome.FAILED, {"error": error.code})
        return error
    if not held:
        return being_stored()
    svc.metrics.ingested(1)
    return IngestResult(job.document_id, job.split.patient_id, job.version, True, job.placements)


def _store_marked(svc: Services, job: _Job, actor: str, digests: list[_Sealed]) -> bool:
    """:func:`_mark_stored`, started again (at most _SERIES_ATTEMPTS times) when another
    document of the patient wrote one of the same buckets first; StoreConflict after."""
    for _ in range(_SERIES_ATTEMPTS):
        try:
            return _mark_stored(svc, job, actor, digests)
        except (BucketMoved, RowConflict):
            # The whole transaction rolled back: it starts again from the buckets as now.
            continue
    raise StoreConflict("the patient's readings were being written by another request; try again")


def _mark_stored(svc: Services, job: _Job, actor: str, digests: list[_Sealed]) -> bool:
    """In one transaction: the document stored, its segments' digests, its points in the
    series, the audit entry; False when the journal is no longer this attempt's."""
    patient_id = job.split.patient_id
    with svc.db.session() as session:
        # Stored, and new, only for the attempt that still holds the journal.
        held = let_go(svc, session, job.document_id, job.attempt, stored=True)
        if not held:  # taken over as abandoned, or recovered, while it wrote
            _audit(svc, session, job, actor, Outcome.FAILED, {"error": StoreConflict.code})
            return False
        document_rows.record_ciphertexts(session, job.key_id, digests)
        removed: frozenset[uuid.UUID] = frozenset()
        if job.version > 1:
            removed = document_rows.earlier_sources(session, patient_id, job.series, job.version)
        if document_rows.later_stored(session, patient_id, job.series, job.version):
            # A later version was stored first: its points are the current ones.
            job.points, removed = {}, frozenset()
        if job.points or removed:
            key = (job.key_id, job.key)
            write_points(svc, session, patient_id, job.points, removed, key)
        details = {"version": job.version, "segments": len(job.to_write)}
        _audit(svc, session, job, actor, Outcome.OK, details)
    return True


def _audit(
    svc: Services,
    session: Session,
    job: _Job,
    actor: str,
    outcome: Outcome,
    details: Mapping[str, str | int],
) -> None:
    subject = f"document:{job.document_id}"
    record(
        svc,
        session,
        Action.INGEST,
        actor,
        patient_id=job.split.patient_id,
        subject=subject,
        outcome=outcome,
        details=details,
    )


def recover(svc: Services, principal: Principal) -> int:
    """Finish interrupted ingests by removing their objects and journals; returns how
    many. An admin or the operator; raises AccessDenied otherwise.

    A journal an ingest still holds (for up to ABANDONED_AFTER) is left to it.
    """
    require_steward(principal)
    actor = principal.id
    with svc.db.session() as session:
        pending = document_rows.pending_document_ids(session)
    cleaned = 0
    for document_id in pending:
        attempt = svc.new_uuid().hex
        with svc.db.session() as session:
            claimed = claim(svc, session, document_id, attempt)
        cleaned += claimed and roll_back(svc, document_id, attempt)
    if pending:
        with svc.db.session() as session:
            record(
                svc,
                session,
                Action.RECOVER,
                actor,
                details={"pending": len(pending), "cleaned": cleaned},
            )
    return cleaned
