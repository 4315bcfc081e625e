"""Ingest: split a document, seal every segment, store it privately, index it, all or nothing.

The database row of a document is written first, as ``pending``: it is the journal that
names every object the ingest is about to write. Objects go to the patient's container
in parallel; only when all of them are stored does the document become ``stored`` and
visible. A failure removes the objects already written and the pending rows; if the
store is down so that cleanup itself fails, the pending journal stays and a retry (or
:func:`recover`) finishes the job. Object names are deterministic, so a retry overwrites
rather than duplicates.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import bindparam, exc, func, insert, select, update
from sqlalchemy.orm import Session

from phr_share.audit import Action, Outcome
from phr_share.ccda.split import SplitDocument, split_document
from phr_share.crypto import ALGORITHM, FORMAT_VERSION, Binding, seal
from phr_share.db import Document, DocumentStatus, ReleaseChoice, StoredSegment
from phr_share.errors import PhrShareError, StoreConflict
from phr_share.models import Segment, SegmentKind
from phr_share.sharing.audit import record
from phr_share.sharing.keys import current_patient_key, ensure_patient
from phr_share.sharing.services import Services

__all__ = [
    "IngestResult",
    "Placement",
    "container_for",
    "ingest_batch",
    "ingest_document",
    "object_name",
]


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


# A LOINC code is digits, a hyphen and a check digit; anything else is not kept.
_LOINC_CODE = re.compile(r"[0-9]{1,7}-[0-9]")


def container_for(patient_id: uuid.UUID) -> str:
    """The patient's private container: their opaque global id, nothing else."""
    return str(patient_id)


def object_name(kind: str, tracking_id: uuid.UUID, version: int) -> str:
    """The private object of one segment version: kind, tracking id and version only."""
    return f"{kind}/{tracking_id}/v{version}"


def ingest_document(
    svc: Services, data: bytes, patient_id: uuid.UUID, *, actor: str = "system"
) -> IngestResult:
    """Ingest one document; raises InvalidDocument before any write, StorageError after rollback."""
    outcome = ingest_batch(svc, [(data, patient_id)], actor=actor)[0]
    if isinstance(outcome, PhrShareError):
        raise outcome
    return outcome


def ingest_batch(
    svc: Services,
    items: Sequence[tuple[bytes, uuid.UUID]],
    progress: Callable[[int], None] | None = None,
    *,
    actor: str = "system",
) -> list[IngestResult | PhrShareError]:
    """Ingest documents with their writes overlapped; each document is all or nothing.

    Returns, per item in order, its result or the domain error that refused it.
    """
    outcomes: list[IngestResult | PhrShareError | None] = [None] * len(items)
    with ThreadPoolExecutor(svc.settings.store_concurrency, "phr-put") as pool:
        running: list[tuple[int, _Job]] = []
        ensured: set[uuid.UUID] = set()
        for index, (data, patient_id) in enumerate(items):
            try:
                job = _prepare(svc, data, patient_id)
            except PhrShareError as error:
                outcomes[index] = error
                _tick(progress)
                continue
            if job.done is not None:
                outcomes[index] = job.done
                _tick(progress)
                continue
            try:
                if patient_id not in ensured:
                    svc.private.ensure_container(container_for(patient_id))
                    ensured.add(patient_id)
            except PhrShareError as error:
                _roll_back(svc, job.document_id)
                outcomes[index] = error
                _tick(progress)
                continue
            job.futures = [pool.submit(_put, svc, job, s) for s in job.to_write]
            running.append((index, job))
        for index, job in running:
            outcomes[index] = _finish(svc, job, actor)
            _tick(progress)
    return [o for o in outcomes if o is not None]


def _tick(progress: Callable[[int], None] | None) -> None:
    if progress is not None:
        progress(1)


@dataclass(slots=True)
class _Job:
    split: SplitDocument
    document_id: int
    version: int
    key_id: str
    key: bytes
    placements: tuple[Placement, ...]
    to_write: tuple[Segment, ...]
    done: IngestResult | None = None
    futures: list[Future[str]] | None = None


def _prepare(svc: Services, data: bytes, patient_id: uuid.UUID) -> _Job:
    """Parse and split (no I/O yet), then journal the document as pending."""
    split = split_document(data, patient_id, svc.settings)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with svc.db.session() as session:
            return _journal(svc, session, split, digest)
    except exc.IntegrityError as error:
        raise StoreConflict("the same document is being ingested concurrently; retry") from error


def _journal(svc: Services, session: Session, split: SplitDocument, digest: str) -> _Job:
    patient_id = split.patient_id
    ensure_patient(svc, session, patient_id)
    released = _released_kinds(session, patient_id)
    key_id, key = current_patient_key(svc, session, patient_id)
    document = session.scalar(
        select(Document).where(Document.patient_id == patient_id, Document.content_sha256 == digest)
    )
    if document is None:
        document = _new_document(svc, session, split, digest, key_id)
    elif document.status != DocumentStatus.STORED:
        # A pending journal from an interrupted attempt: write everything again under
        # the current key; names are the same, so nothing is duplicated.
        session.execute(
            update(StoredSegment)
            .where(StoredSegment.document_id == document.id)
            .values(key_id=key_id)
        )
    # The same bytes split the same way: the placements follow from the split alone.
    placements = tuple(_placement(svc, s, document.version, released) for s in split.segments)
    job = _Job(split, document.id, document.version, key_id, key, placements, split.segments)
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


def _new_document(
    svc: Services, session: Session, split: SplitDocument, digest: str, key_id: str
) -> Document:
    """The pending document and its segments' rows: one INSERT for all of them, however
    many sections (the ORM would send one per row to get each row's id back)."""
    ref = split.document
    series = str(ref.set_id or ref.id)
    latest = session.scalar(
        select(func.max(Document.version)).where(
            Document.patient_id == split.patient_id, Document.series == series
        )
    )
    version = (latest or 0) + 1
    document = Document(
        patient_id=split.patient_id,
        document_key=str(ref.id),
        series=series,
        version=version,
        content_sha256=digest,
        type_code=_type_code(split),
        status=DocumentStatus.PENDING,
        created_at=svc.clock(),
    )
    session.add(document)
    session.flush()
    container = container_for(split.patient_id)
    rows = [
        {
            "document_id": document.id,
            "patient_id": split.patient_id,
            "tracking_id": segment.tracking_id,
            "version": version,
            "kind": segment.kind.value,
            "path": segment.path,
            "container": container,
            "object_name": object_name(segment.kind.value, segment.tracking_id, version),
            "key_id": key_id,
            "algorithm": ALGORITHM,
            "content_sha256": segment.sha256,
            "ciphertext_sha256": "",
            "size": len(segment.content),
        }
        for segment in split.segments
    ]
    session.execute(insert(StoredSegment), rows)
    return document


def _type_code(split: SplitDocument) -> str | None:
    # Only a well-formed LOINC code: the index holds codes, never a document's own words.
    loinc = split.document.code.loinc if split.document.code is not None else None
    return loinc if loinc is not None and _LOINC_CODE.fullmatch(loinc) else None


def _released_kinds(session: Session, patient_id: uuid.UUID) -> set[SegmentKind]:
    rows = session.scalars(
        select(ReleaseChoice.kind).where(
            ReleaseChoice.patient_id == patient_id, ReleaseChoice.withdrawn_at.is_(None)
        )
    )
    return {SegmentKind(kind) for kind in rows}


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
        _roll_back(svc, job.document_id)
        code = failure.code if isinstance(failure, PhrShareError) else "internal"
        with svc.db.session() as session:
            _audit(svc, session, job, actor, Outcome.FAILED, {"error": code})
        if isinstance(failure, PhrShareError):
            return failure
        raise failure
    digests = [
        {"b_tracking": s.tracking_id, "b_version": job.version, "b_digest": f.result()}
        for s, f in zip(job.to_write, job.futures, strict=True)
    ]
    with svc.db.session() as session:
        # One statement for every row, each found by its unique (tracking id, version).
        session.connection().execute(
            update(StoredSegment)
            .where(
                StoredSegment.tracking_id == bindparam("b_tracking"),
                StoredSegment.version == bindparam("b_version"),
            )
            .values(key_id=job.key_id, ciphertext_sha256=bindparam("b_digest")),
            digests,
        )
        document = session.get_one(Document, job.document_id)
        document.status = DocumentStatus.STORED
        document.stored_at = svc.clock()
        details = {"version": job.version, "segments": len(job.to_write)}
        _audit(svc, session, job, actor, Outcome.OK, details)
    return IngestResult(job.document_id, job.split.patient_id, job.version, True, job.placements)


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


def _roll_back(svc: Services, document_id: int) -> bool:
    """Remove a pending document's objects, then its rows; keep the journal if a delete fails."""
    with svc.db.session() as session:
        document = session.get(Document, document_id)
        if document is None or document.status != DocumentStatus.PENDING:
            return False
        names = [(row.container, row.object_name) for row in document.segments]
    try:
        for container, name in names:
            svc.private.delete(container, name)
    except PhrShareError:
        return False
    with svc.db.session() as session:
        document = session.get(Document, document_id)
        if document is not None and document.status == DocumentStatus.PENDING:
            session.delete(document)
    return True


def recover(svc: Services, *, actor: str = "system") -> int:
    """Finish interrupted ingests by removing their objects and journals; returns how many."""
    with svc.db.session() as session:
        pending = session.scalars(
            select(Document.id).where(Document.status == DocumentStatus.PENDING)
        ).all()
    cleaned = sum(_roll_back(svc, document_id) for document_id in pending)
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
