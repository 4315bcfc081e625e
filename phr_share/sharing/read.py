"""Reading a stored segment back: decide, fetch, check every binding, decrypt, check the hash.

:func:`read_segment` is the only way to a segment's content. It asks the decision point
first and records the permit or the denial (with its reason code) in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from phr_share.audit import Action, Outcome
from phr_share.consent import CARERS, Decision, LinkTerms, Principal, Purpose, Role
from phr_share.crypto import Binding, open_sealed, peek_header
from phr_share.db import Session, StoredSegment
from phr_share.db.queries import documents as document_rows
from phr_share.errors import AccessDenied, IntegrityError, NotFound, PhrShareError
from phr_share.models import SegmentKind
from phr_share.sharing.access import authorize, preview_policy, require_some_access
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import require_owner_or_operator, require_role
from phr_share.sharing.keys import patient_key
from phr_share.sharing.metrics import StoreRole, note_store_error
from phr_share.sharing.services import Services
from phr_share.storage import Blob

__all__ = [
    "DocumentRecord",
    "SegmentRecord",
    "current_records",
    "current_segments",
    "current_sources",
    "document_types",
    "find_segment",
    "read_permitted",
    "read_segment",
    "read_segments",
    "readable_segments",
    "record_of",
    "segment_records",
    "segments_of",
    "stored_documents",
    "stored_times",
    "try_policy",
    "type_codes",
]

# For the operator: which stored object failed a check, and what did not match.
_log = logging.getLogger("phr_share.store")


@dataclass(frozen=True, slots=True)
class SegmentRecord:
    """What the index knows about one stored segment version (no content)."""

    id: int
    tracking_id: uuid.UUID
    version: int
    patient_id: uuid.UUID
    document_id: int
    kind: SegmentKind
    path: str
    container: str
    object_name: str
    key_id: str
    content_sha256: str
    size: int
    # What the object's metadata and envelope must name, checked on every read.
    algorithm: str = ""
    ciphertext_sha256: str = ""


def record_of(row: StoredSegment) -> SegmentRecord:
    """The index row as a plain record."""
    return SegmentRecord(
        row.id,
        row.tracking_id,
        row.version,
        row.patient_id,
        row.document_id,
        SegmentKind(row.kind),
        row.path,
        row.container,
        row.object_name,
        row.key_id,
        row.content_sha256,
        row.size,
        row.algorithm,
        row.ciphertext_sha256,
    )


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One stored document version as the index knows it: codes and sizes, no content."""

    id: int
    version: int
    type_code: str | None
    stored_at: datetime
    segments: tuple[SegmentRecord, ...]
    # False once a later version of the same document (its CDA set id) is stored.
    current: bool = True

    @property
    def size(self) -> int:
        """Bytes of canonical XML in all its segments."""
        return sum(segment.size for segment in self.segments)

    @property
    def kinds(self) -> dict[SegmentKind, int]:
        """How many of its segments are of each kind, in kind order."""
        counts: dict[SegmentKind, int] = {}
        for segment in sorted(self.segments, key=lambda s: s.kind):
            counts[segment.kind] = counts.get(segment.kind, 0) + 1
        return counts


def stored_documents(
    svc: Services, principal: Principal, patient_id: uuid.UUID
) -> list[DocumentRecord]:
    """A patient's stored documents, newest first, each with its segments in document order
    and whether it is the current version of its document.

    The index only: nothing is fetched or decrypted, so nothing is read (or audited). The
    patient or the operator; raises AccessDenied for anyone else.
    """
    require_owner_or_operator(principal, patient_id)
    with svc.db.session() as session:
        return [
            DocumentRecord(
                row.id,
                row.version,
                row.type_code,
                row.stored_at or row.created_at,
                tuple(record_of(segment) for segment in row.segments),
                current=current,
            )
            for row, current in document_rows.documents_of(session, patient_id)
        ]


def document_types(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    purpose: Purpose = Purpose.TREATMENT,
) -> dict[int, str | None]:
    """The LOINC type code of each of a patient's stored documents, by document id: for
    the patient, the operator, or a reader the decision point lets read something of the
    patient's now; raises AccessDenied for anyone else."""
    if principal.role in {Role.PATIENT, Role.OPERATOR}:
        require_owner_or_operator(principal, patient_id)
    else:
        require_some_access(svc, principal, patient_id, purpose)
    return type_codes(svc, patient_id)


def type_codes(svc: Services, patient_id: uuid.UUID) -> dict[int, str | None]:
    """:func:`document_types` for callers that have checked who asks."""
    with svc.db.session() as session:
        return document_rows.type_codes(session, patient_id)


def stored_times(
    svc: Services, patient_id: uuid.UUID, documents: Collection[int]
) -> dict[int, datetime]:
    """When each of these documents of the patient was stored, by id: the index only,
    for callers that have checked who asks."""
    with svc.db.session() as session:
        return document_rows.stored_times(session, patient_id, documents)


def find_segment(
    svc: Services, principal: Principal, tracking_id: uuid.UUID, version: int | None = None
) -> SegmentRecord:
    """The stored segment with this tracking id (newest version by default), to read next
    through :func:`read_segment`, which decides and audits.

    Raises NotFound (also for another patient's segment, which a patient may not know
    of), AccessDenied for a role that never reads private segments.
    """
    require_role(principal, Role.PATIENT, *CARERS, Role.OPERATOR, Role.SYSTEM)
    with svc.db.session() as session:
        row = document_rows.segment_by_tracking_id(session, tracking_id, version)
        mine = principal.role is not Role.PATIENT or (
            row is not None and row.patient_id == principal.patient_id
        )
        if row is None or not mine:
            raise NotFound("no stored segment has that tracking id")
        return record_of(row)


def segments_of(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    kinds: Collection[SegmentKind] | None = None,
    *,
    document_id: int | None = None,
) -> list[SegmentRecord]:
    """Every stored segment version of a patient (of ``kinds``; of one document when
    ``document_id`` is given), document by document, no content. The patient or the
    operator; raises AccessDenied for anyone else."""
    require_owner_or_operator(principal, patient_id)
    return segment_records(svc, patient_id, kinds, document_id=document_id)


def segment_records(
    svc: Services,
    patient_id: uuid.UUID,
    kinds: Collection[SegmentKind] | None = None,
    *,
    document_id: int | None = None,
) -> list[SegmentRecord]:
    """:func:`segments_of` for the read paths, which decide every read themselves."""
    with svc.db.session() as session:
        rows = document_rows.segments_of(session, patient_id, kinds, document_id=document_id)
        return [record_of(row) for row in rows]


def current_segments(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    kinds: Collection[SegmentKind] | None = None,
) -> list[SegmentRecord]:
    """The segments of the current version of each of a patient's documents (of
    ``kinds``), no content. The patient or the operator; raises AccessDenied for anyone
    else (a clinician asks :func:`readable_segments`).

    A document sent again (the same CDA set id, a later version) replaces the earlier
    one whole, whatever its own id: a section it no longer has is no longer current.
    """
    require_owner_or_operator(principal, patient_id)
    return current_records(svc, patient_id, kinds)


def current_records(
    svc: Services,
    patient_id: uuid.UUID,
    kinds: Collection[SegmentKind] | None = None,
    *,
    documents: Collection[int] | None = None,
) -> list[SegmentRecord]:
    """:func:`current_segments` for the read paths, which decide every read themselves
    (of the ``documents`` with these ids only, when given)."""
    with svc.db.session() as session:
        rows = document_rows.current_segments(session, patient_id, kinds, documents=documents)
        return [record_of(row) for row in rows]


def current_sources(
    svc: Services, patient_id: uuid.UUID, kinds: Collection[SegmentKind], type_code: str
) -> dict[uuid.UUID, int]:
    """The tracking id of each current segment (of ``kinds``) of the patient's documents
    of one LOINC type, with its document's id: the index only, nothing read."""
    with svc.db.session() as session:
        return document_rows.current_sources(session, patient_id, kinds, type_code)


def readable_segments(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    purpose: Purpose = Purpose.TREATMENT,
) -> list[SegmentRecord]:
    """The patient's current segments the decision point lets ``principal`` read now."""
    records = current_records(svc, patient_id)
    with svc.db.session() as session:
        decisions = authorize(
            session, principal, patient_id, {r.kind for r in records}, purpose, svc.clock()
        )
    return [r for r in records if decisions[r.kind].permit]


def try_policy(
    svc: Services,
    patient: Principal,
    grantee: Principal,
    purpose: Purpose = Purpose.TREATMENT,
) -> list[tuple[SegmentRecord, Decision]]:
    """ "Try my policy": each of the patient's segments with what ``grantee`` would get now.

    Raises AccessDenied unless ``patient`` is the patient themself.
    """
    decisions = preview_policy(svc, patient, grantee, purpose)
    assert patient.patient_id is not None  # checked by preview_policy
    return [(r, decisions[r.kind]) for r in current_records(svc, patient.patient_id)]


def read_segment(
    svc: Services,
    principal: Principal,
    record: SegmentRecord,
    *,
    purpose: Purpose = Purpose.TREATMENT,
    link: LinkTerms | None = None,
) -> bytes:
    """The segment's canonical XML, if the decision point permits ``principal`` to read it.

    Raises AccessDenied (with the reason code) when denied, IntegrityError for any
    tampering, KeyErased after erasure. Permits, denials and failures are all audited.
    """
    return read_segments(svc, principal, [record], purpose=purpose, link=link)[0]


def read_segments(
    svc: Services,
    principal: Principal,
    records: Sequence[SegmentRecord],
    *,
    purpose: Purpose = Purpose.TREATMENT,
    link: LinkTerms | None = None,
) -> list[bytes]:
    """Several segments of one patient at once: one decision per kind, objects fetched in
    parallel, every read audited in one transaction. Raises as :func:`read_segment` does,
    after auditing all of them; nothing is fetched when any one is denied.
    """
    return [content for _, content in _read(svc, principal, records, purpose, link, True)]


def read_permitted(
    svc: Services,
    principal: Principal,
    records: Sequence[SegmentRecord],
    *,
    purpose: Purpose = Purpose.TREATMENT,
) -> list[tuple[SegmentRecord, bytes]]:
    """Those of one patient's ``records`` that ``principal`` may read, read and audited.

    Decided once per kind: denied kinds are skipped, unread, as a listing skips them.
    """
    return _read(svc, principal, records, purpose, None, False)


def _read(
    svc: Services,
    principal: Principal,
    records: Sequence[SegmentRecord],
    purpose: Purpose,
    link: LinkTerms | None,
    strict: bool,
) -> list[tuple[SegmentRecord, bytes]]:
    """Decide, then fetch and audit the permitted records; ``strict``: a denial raises."""
    if not records:
        return []
    patients = {r.patient_id for r in records}
    if len(patients) != 1:
        raise ValueError("segments are read one patient at a time")
    patient_id = patients.pop()
    keys: dict[str, bytes | PhrShareError] = {}
    with svc.db.session() as session:
        decisions = authorize(
            session, principal, patient_id, {r.kind for r in records}, purpose, svc.clock(), link
        )
        denied = [r for r in records if not decisions[r.kind].permit]
        if strict:
            for record in denied:
                decision = decisions[record.kind]
                _audit_read(svc, session, record, principal, purpose, decision, Outcome.DENIED)
        records = [r for r in records if decisions[r.kind].permit]
        if not (strict and denied):
            # One look-up per key version, in this transaction, not one per object.
            for key_id in {r.key_id for r in records}:
                try:
                    keys[key_id] = patient_key(svc, session, patient_id, key_id)
                except PhrShareError as error:
                    keys[key_id] = error
    if strict and denied:
        raise AccessDenied(decisions[denied[0].kind].reason)
    outcomes = _fetch_all(svc, records, keys)
    with svc.db.session() as session:
        for record, outcome in zip(records, outcomes, strict=True):
            failure = outcome if isinstance(outcome, PhrShareError) else None
            _audit_read(
                svc,
                session,
                record,
                principal,
                purpose,
                decisions[record.kind],
                Outcome.OK if failure is None else Outcome.FAILED,
                None if failure is None else failure.code,
            )
    pairs = []
    for record, outcome in zip(records, outcomes, strict=True):
        if isinstance(outcome, PhrShareError):
            raise outcome
        pairs.append((record, outcome))
    return pairs


def _fetch_all(
    svc: Services, records: Sequence[SegmentRecord], keys: dict[str, bytes | PhrShareError]
) -> list[bytes | PhrShareError]:
    """Each record's content, or the error it failed with (only after a permit)."""

    def attempt(record: SegmentRecord) -> bytes | PhrShareError:
        key = keys[record.key_id]
        if isinstance(key, PhrShareError):
            return key
        try:
            return _open(svc, record, key)
        except PhrShareError as error:
            note_store_error(svc.metrics, StoreRole.PRIVATE, "get", error)
            return error

    if len(records) == 1:
        return [attempt(records[0])]
    return list(svc.readers().map(attempt, records))


def _audit_read(
    svc: Services,
    session: Session,
    segment: SegmentRecord,
    principal: Principal,
    purpose: Purpose,
    decision: Decision,
    outcome: Outcome,
    error: str | None = None,
) -> None:
    details: dict[str, str | int] = {
        "kind": segment.kind.value,
        "version": segment.version,
        "purpose": purpose.value,
        "reason": decision.reason.value,
    }
    if decision.basis is not None:
        details["basis"] = decision.basis
    if decision.emergency:
        details["emergency"] = 1
    if error is not None:
        details["error"] = error
    audit(
        svc,
        session,
        Action.READ,
        principal.id,
        patient_id=segment.patient_id,
        subject=f"segment:{segment.tracking_id}",
        outcome=outcome,
        details=details,
    )


def _open(svc: Services, record: SegmentRecord, key: bytes) -> bytes:
    """Fetch, check and decrypt one object; IntegrityError (logged for the operator with
    the object's name and what did not match, never content) for any mismatch."""
    blob = svc.private.get(record.container, record.object_name)
    problem = _mislabelled(record, blob)
    content = b""
    if problem is None:
        binding = Binding(record.patient_id, record.tracking_id, record.kind.value, record.key_id)
        try:
            content = open_sealed(blob.data, key, binding)
        except IntegrityError:
            problem = "the envelope does not open under its binding"
    # The index's hash also catches an older version replayed under a newer name.
    if problem is None and not hmac.compare_digest(
        hashlib.sha256(content).hexdigest(), record.content_sha256
    ):
        problem = "the content differs from the index's hash"
    if problem is not None:
        # The object name (a tracking id) finds it through the index; the container is
        # named for the patient, so it stays out of the log.
        _log.warning("stored object %s failed its integrity check: %s", record.object_name, problem)
        raise IntegrityError()
    return content


def _mislabelled(record: SegmentRecord, blob: Blob) -> str | None:
    """What of the object's metadata, envelope header and ciphertext hash disagrees with
    the index or with each other (the first found, in ids and field names), if anything."""
    try:
        header = peek_header(blob.data)
    except IntegrityError:
        return "the body is not a sealed envelope"
    # Every field ingest writes, as the index and the envelope header know it.
    expected = {
        "tracking-id": str(record.tracking_id),
        "kind": record.kind.value,
        "key-id": record.key_id,
        "alg": record.algorithm,
        "format": str(header.format_version),
        "ciphertext-sha256": record.ciphertext_sha256,
    }
    for field, value in expected.items():
        if blob.metadata.get(field) != value:
            return f"metadata field {field} differs from the index and envelope"
    if set(blob.metadata) - set(expected):
        return "the metadata holds fields ingest never writes"
    if (header.key_id, header.algorithm) != (record.key_id, record.algorithm):
        return "the envelope header names another key or algorithm than the index"
    if hashlib.sha256(blob.data).hexdigest() != record.ciphertext_sha256:
        return "the body differs from the index's ciphertext hash"
    return None
