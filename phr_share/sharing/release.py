"""Research release: the private-to-public migration of what patients chose to release.

Every segment whose kind its patient released (and the routing policy allows) and that
no earlier release published is read back from the private store, de-identified, and
passed with all the others through the k-anonymity gate. Only what passes reaches the
public bucket: flat records per kind and period, de-identified segment XML, and a
manifest naming every object's hash, written last. A release that cannot reach k writes
nothing and leaves the segments waiting for the next run.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from phr_share.audit import Action
from phr_share.ccda.identity import patient_identity
from phr_share.consent import Principal, Purpose
from phr_share.db import Release, ReleaseChoice, ReleaseItem, Session, StoredSegment
from phr_share.db.queries import documents as document_rows
from phr_share.db.queries import releases as release_rows
from phr_share.deid.kanon import enforce_k_anonymity, generalise, lay_out_release
from phr_share.deid.pseudonym import replacement_id
from phr_share.deid.records import FlatRecord
from phr_share.deidentify import DeidentifiedSegment, deidentify_segments
from phr_share.errors import KAnonymityNotReached, NotFound, PhrShareError
from phr_share.models import (
    DocumentRef,
    InstanceId,
    ItemOutcome,
    ReleaseStatus,
    Segment,
    SegmentKind,
)
from phr_share.public_layout import (
    Manifest,
    RecordsName,
    SegmentName,
    kind_of,
    media_type,
    period,
)
from phr_share.sharing.audit import record as audit
from phr_share.sharing.guard import (
    ROUTER,
    require_owner_or_operator,
    require_owner_or_steward,
    require_steward,
)
from phr_share.sharing.keys import ensure_patient
from phr_share.sharing.metrics import StoreRole, note_store_error
from phr_share.sharing.read import SegmentRecord, read_permitted, record_of
from phr_share.sharing.services import Services

__all__ = [
    "ItemOutcome",
    "ReleaseReport",
    "ReleaseStatus",
    "as_segment",
    "choose_release",
    "choose_released_kinds",
    "deidentify_stored",
    "released_kinds",
    "run_release",
]


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    """What a release run did; ``release_id`` is None when there was nothing to release."""

    release_id: uuid.UUID | None
    k_requested: int
    k_achieved: int
    records_in: int
    records_suppressed: int
    segments_published: int
    segments_held_back: int
    objects: tuple[str, ...]
    manifest: str | None


def choose_release(
    svc: Services,
    principal: Principal,
    patient_id: uuid.UUID,
    release: Collection[SegmentKind] = (),
    withdraw: Collection[SegmentKind] = (),
) -> set[SegmentKind]:
    """Record a patient's research choices, as the patient or the operator; returns the
    kinds now released.

    Raises ConfigurationError for a kind the routing policy keeps private-only,
    AccessDenied for anyone else.
    """
    require_owner_or_operator(principal, patient_id)
    actor = principal.id
    svc.routing.check_release(release)
    now = svc.clock()
    with svc.db.session() as session:
        ensure_patient(svc, session, patient_id)
        for kind in release:
            choice = session.get(ReleaseChoice, (patient_id, kind.value))
            if choice is None:
                session.add(ReleaseChoice(patient_id=patient_id, kind=kind.value, chosen_at=now))
            elif choice.withdrawn_at is not None:
                choice.chosen_at, choice.withdrawn_at = now, None
        for kind in withdraw:
            choice = session.get(ReleaseChoice, (patient_id, kind.value))
            if choice is not None and choice.withdrawn_at is None:
                choice.withdrawn_at = now
        audit(
            svc,
            session,
            Action.RELEASE_CHOICE,
            actor,
            patient_id=patient_id,
            details={"release": ",".join(sorted(release)), "withdraw": ",".join(sorted(withdraw))},
        )
    return released_kinds(svc, principal, patient_id)


def choose_released_kinds(
    svc: Services, principal: Principal, patient_id: uuid.UUID, kinds: Collection[SegmentKind]
) -> set[SegmentKind]:
    """Release exactly ``kinds`` for research: those not yet released are released, the
    others withdrawn from the next release on; as :func:`choose_release`, returns the
    kinds now released."""
    chosen = set(kinds)
    current = released_kinds(svc, principal, patient_id)
    return choose_release(
        svc, principal, patient_id, release=chosen - current, withdraw=current - chosen
    )


def released_kinds(svc: Services, principal: Principal, patient_id: uuid.UUID) -> set[SegmentKind]:
    """The kinds a patient currently releases for research: for the patient, an admin or
    the operator; raises AccessDenied for anyone else."""
    require_owner_or_steward(principal, patient_id)
    with svc.db.session() as session:
        return {SegmentKind(k) for k in release_rows.released_kinds(session, patient_id)}


def _candidates(session: Session, svc: Services) -> list[StoredSegment]:
    """Stored, released, never published segments of patients who were not erased."""
    # A segment another release published, or found nothing in to publish, is done with;
    # a suppressed one waits for the next run.
    return release_rows.waiting_segments(session, [k.value for k in svc.routing.releasable])


@dataclass(frozen=True, slots=True)
class _Prepared:
    record: SegmentRecord
    deidentified: DeidentifiedSegment


def run_release(
    svc: Services,
    principal: Principal,
    *,
    k: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReleaseReport:
    """Release everything waiting, as an admin or the operator; raises AccessDenied for
    anyone else, KAnonymityNotReached (nothing written) or StorageError."""
    actor = require_steward(principal).id
    try:
        report = _release(svc, actor, k, progress)
    except KAnonymityNotReached:
        svc.metrics.release_ran("refused")
        raise
    except PhrShareError:
        svc.metrics.release_ran("failed")
        raise
    svc.metrics.release_ran("empty" if report.release_id is None else "published")
    return report


def _release(
    svc: Services, actor: str, k: int | None, progress: Callable[[int], None] | None
) -> ReleaseReport:
    k = k or svc.settings.kanon_k
    with svc.db.session() as session:
        candidates = [record_of(row) for row in _candidates(session, svc)]
    if not candidates:
        return ReleaseReport(None, k, 0, 0, 0, 0, 0, (), None)
    prepared = deidentify_stored(svc, candidates, progress=progress)
    records = [r for p in prepared for r in p.deidentified.records]
    if not records:
        return ReleaseReport(None, k, 0, 0, 0, 0, len(prepared), (), None)
    gated = enforce_k_anonymity(records, k, svc.settings.kanon_max_suppressed)
    kept_groups = {r.quasi_identifiers for r in gated.records}
    release_id = uuid.UUID(bytes=svc.randbytes(16), version=4)
    objects, outcomes = _lay_out(svc, prepared, gated.generalisation, kept_groups)
    release = lay_out_release(gated)
    for obj in release.objects:
        objects[RecordsName(obj.kind, obj.year, release_id).name] = obj.data
    manifest = Manifest.of(release_id, svc.clock().date(), release.gate, objects)
    _publish(svc, manifest, objects, outcomes, actor)
    for outcome, count in Counter(outcome for outcome, _ in outcomes.values()).items():
        svc.metrics.release_items(outcome, count)
    published = sum(1 for outcome, _ in outcomes.values() if outcome == ItemOutcome.PUBLISHED)
    no_data = sum(1 for outcome, _ in outcomes.values() if outcome == ItemOutcome.NO_DATA)
    return ReleaseReport(
        release_id,
        k,
        gated.k_achieved,
        gated.records_in,
        gated.records_suppressed,
        published,
        len(outcomes) - published - no_data,
        tuple(sorted(objects)),
        manifest.name,
    )


def deidentify_stored(
    svc: Services,
    candidates: Sequence[SegmentRecord],
    reader: Principal = ROUTER,
    progress: Callable[[int], None] | None = None,
) -> list[_Prepared]:
    """Read each candidate and its document's header back (as ``reader``, for research),
    and de-identify them document by document.

    What the decision point does not permit now (a kind withdrawn since the candidates
    were chosen) is skipped, unread; it is not released and not marked.
    """
    by_document: dict[int, list[SegmentRecord]] = defaultdict(list)
    for record in candidates:
        by_document[record.document_id].append(record)
    headers = _headers_of(svc, by_document)
    wanted = [*headers.values(), *candidates]
    by_patient: dict[uuid.UUID, list[SegmentRecord]] = defaultdict(list)
    for record in wanted:
        by_patient[record.patient_id].append(record)
    contents: dict[SegmentRecord, bytes] = {}
    for records_of_one in by_patient.values():
        contents.update(read_permitted(svc, reader, records_of_one, purpose=Purpose.RESEARCH))
    policy = svc.deid_policy()
    prepared: list[_Prepared] = []
    for document_id, chosen in by_document.items():
        header = headers[document_id]
        records = [r for r in chosen if r in contents]
        if header in contents and records:
            identity = patient_identity(contents[header], header.patient_id)
            segments = [as_segment(record, contents[record]) for record in records]
            done = deidentify_segments(segments, identity, policy)
            prepared.extend(_Prepared(r, d) for r, d in zip(records, done, strict=True))
        if progress is not None:
            progress(len(chosen))
    return prepared


def _headers_of(svc: Services, documents: Collection[int]) -> dict[int, SegmentRecord]:
    """The header segment of each document, in one query."""
    with svc.db.session() as session:
        rows = document_rows.header_segments(session, documents)
        headers = {row.document_id: record_of(row) for row in rows}
    if len(headers) != len(documents):
        raise NotFound("a stored document has no header segment")
    return headers


def as_segment(record: SegmentRecord, content: bytes) -> Segment:
    """A stored segment's record and content as a Segment (for the de-identifier, or to
    rebuild its document)."""
    # The reference is opaque, one per stored document version: enough for the rebuild's
    # check that its segments come from one document; the de-identifier does not read it.
    return Segment(
        kind=record.kind,
        tracking_id=record.tracking_id,
        patient_id=record.patient_id,
        document=DocumentRef(InstanceId(f"document:{record.document_id}"), record.version),
        path=record.path,
        content=content,
    )


def _lay_out(
    svc: Services,
    prepared: Iterable[_Prepared],
    steps: Sequence[str],
    kept_groups: set[tuple[str | None, ...]],
) -> tuple[dict[str, bytes], dict[int, tuple[str, str | None]]]:
    """Segment XML objects for segments whose every record passed the gate; outcome per segment."""
    objects: dict[str, bytes] = {}
    outcomes: dict[int, tuple[str, str | None]] = {}
    for item in prepared:
        generalised = [generalise(r, steps) for r in item.deidentified.records]
        if not generalised:
            outcomes[item.record.id] = (ItemOutcome.NO_DATA, None)
            continue
        passed = bool(generalised) and all(r.quasi_identifiers in kept_groups for r in generalised)
        if not passed:
            outcomes[item.record.id] = (ItemOutcome.SUPPRESSED, None)
            continue
        name = _public_name(svc, item.record, generalised[0])
        objects[name] = item.deidentified.xml
        outcomes[item.record.id] = (ItemOutcome.PUBLISHED, name)
    return objects, outcomes


def _public_name(svc: Services, record: SegmentRecord, first: FlatRecord) -> str:
    # A keyed stand-in, never the tracking id: public names must not link back to the index.
    public_id = replacement_id(
        svc.deid_secret, record.patient_id, "segment", f"{record.tracking_id}:{record.version}"
    )
    return SegmentName(record.kind, period(first.year), public_id).name


def _publish(
    svc: Services,
    manifest: Manifest,
    objects: dict[str, bytes],
    outcomes: dict[int, tuple[str, str | None]],
    actor: str,
) -> None:
    """Journal, write every object then the manifest, and only then mark it published."""
    bucket, release_id, gate = svc.settings.s3_bucket, manifest.release, manifest.gate
    data = manifest.to_bytes()
    with svc.db.session() as session:
        session.add(
            Release(
                id=release_id,
                status=ReleaseStatus.PENDING,
                created_at=svc.clock(),
                bucket=bucket,
                manifest_name=manifest.name,
                object_names="\n".join([*sorted(objects), manifest.name]),
                k_requested=gate.k_requested,
                kinds=",".join(sorted({kind_of(name) for name in objects})),
            )
        )
    try:
        svc.public.ensure_container(bucket)
        with ThreadPoolExecutor(svc.settings.store_concurrency, "phr-pub") as pool:
            list(pool.map(lambda item: _put_public(svc, bucket, *item), sorted(objects.items())))
        _put_public(svc, bucket, manifest.name, data)
    except PhrShareError as error:
        note_store_error(svc.metrics, StoreRole.PUBLIC, "publish", error)
        _abandon(svc, release_id)
        raise
    with svc.db.session() as session:
        release = session.get_one(Release, release_id)
        release.status = ReleaseStatus.PUBLISHED
        release.published_at = svc.clock()
        release.manifest_sha256 = hashlib.sha256(data).hexdigest()
        release.k_achieved = gate.k_achieved
        release.records_in = gate.records_in
        release.records_suppressed = gate.records_suppressed
        release.records_out = gate.records_out
        for segment_id, (outcome, name) in outcomes.items():
            session.add(
                ReleaseItem(
                    release_id=release_id, segment_id=segment_id, outcome=outcome, object_name=name
                )
            )
        audit(
            svc,
            session,
            Action.RELEASE,
            actor,
            subject=f"release:{release_id}",
            details={
                "k": gate.k_achieved,
                "records": gate.records_out,
                "objects": len(objects),
                "manifest": release.manifest_sha256 or "",
            },
        )


def _put_public(svc: Services, bucket: str, name: str, data: bytes) -> None:
    svc.public.put(
        bucket, name, data, {"sha256": hashlib.sha256(data).hexdigest(), "type": media_type(name)}
    )


def _abandon(svc: Services, release_id: uuid.UUID) -> bool:
    """Remove what a failed release wrote; keep it pending (for recovery) if that fails too."""
    with svc.db.session() as session:
        release = session.get(Release, release_id)
        if release is None or release.status != ReleaseStatus.PENDING:
            return False
        bucket, names = release.bucket, release.object_names.split("\n")
    try:
        for name in names:
            svc.public.delete(bucket, name)
    except PhrShareError as error:
        note_store_error(svc.metrics, StoreRole.PUBLIC, "delete", error)
        return False
    with svc.db.session() as session:
        session.get_one(Release, release_id).status = ReleaseStatus.FAILED
    return True


def recover_releases(svc: Services, principal: Principal) -> int:
    """Clean up releases interrupted half-way; returns how many were cleaned. An admin or
    the operator; raises AccessDenied otherwise."""
    require_steward(principal)
    with svc.db.session() as session:
        pending = release_rows.pending_release_ids(session)
    return sum(_abandon(svc, release_id) for release_id in pending)
