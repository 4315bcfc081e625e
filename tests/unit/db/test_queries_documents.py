"""The document queries: the ingest journal's hold, the segment rows' bulk writes, what a
series write asks of a document's versions, and the read paths' view (stored documents
only, the current version of each series, in the order the pages rely on)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.db import Database, Document, DocumentStatus, Patient, StoredSegment
from phr_share.db.queries import documents as document_rows
from phr_share.models import SegmentKind as K

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
STALE = NOW - timedelta(minutes=15)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PATIENT = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.fixture
def db(blank_db: Database) -> Database:
    database = blank_db
    with database.session() as session:
        session.add(Patient(id=PATIENT, created_at=T0))
    return database


def _pending(db: Database, attempt: str | None, since: datetime | None = NOW) -> int:
    """A pending document with two segments, held by ``attempt`` since ``since``."""
    patient_id = uuid.uuid4()
    with db.session() as session:
        session.add(Patient(id=patient_id, created_at=NOW))
        session.flush()
        document = Document(
            patient_id=patient_id,
            document_key="doc",
            series="doc",
            version=1,
            content_sha256=uuid.uuid4().hex,
            status=DocumentStatus.PENDING,
            created_at=NOW,
            attempt=attempt,
            attempted_at=since if attempt else None,
        )
        session.add(document)
        session.flush()
        rows = [
            {
                "document_id": document.id,
                "patient_id": patient_id,
                "tracking_id": uuid.uuid4(),
                "version": 1,
                "kind": "physical-signs",
                "path": path,
                "container": str(patient_id),
                "object_name": path,
                "key_id": "pk1",
                "algorithm": "AES-256-GCM",
                "content_sha256": "0" * 64,
                "ciphertext_sha256": "",
                "size": 1,
            }
            for path in ("header", "section/1")
        ]
        document_rows.insert_segments(session, rows)
        return document.id


def _claim(db: Database, document_id: int, attempt: str) -> bool:
    with db.session() as session:
        return document_rows.claim_journal(
            session, document_id, attempt, now=NOW, stale_before=STALE
        )


def test_a_journal_is_claimed_only_when_no_live_attempt_holds_it(db: Database) -> None:
    held = _pending(db, "live", since=NOW - timedelta(minutes=1))
    abandoned = _pending(db, "dead", since=STALE - timedelta(seconds=1))
    let_go = _pending(db, None)
    assert not _claim(db, held, "next")
    assert _claim(db, abandoned, "next")
    assert _claim(db, let_go, "next")
    assert not _claim(db, let_go, "another")  # the one that got it first holds it now
    with db.session() as session:
        assert session.get_one(Document, abandoned).attempt == "next"
        assert session.get_one(Document, held).attempt == "live"
        assert set(document_rows.pending_document_ids(session)) == {held, abandoned, let_go}


def test_only_the_holder_ends_its_hold_and_marks_the_document_stored(db: Database) -> None:
    document_id = _pending(db, "mine")
    with db.session() as session:
        assert not document_rows.end_hold(session, document_id, "theirs", stored_at=NOW)
        assert document_rows.end_hold(session, document_id, "mine", stored_at=NOW)
    with db.session() as session:
        document = session.get_one(Document, document_id)
        assert (document.status, document.stored_at, document.attempt) == ("stored", NOW, None)
        # A stored document is no journal: there is no hold left to end.
        assert not document_rows.end_hold(session, document_id, "mine", stored_at=None)
        assert document_rows.pending_document_ids(session) == []


def test_ciphertexts_are_recorded_row_by_row_under_one_key(db: Database) -> None:
    document_id = _pending(db, "mine")
    with db.session() as session:
        rows = session.get_one(Document, document_id).segments
        sealed = [(row.tracking_id, row.version, f"{n}" * 64) for n, row in enumerate(rows)]
        patient_id = rows[0].patient_id
    with db.session() as session:
        document_rows.record_ciphertexts(session, "pk2", sealed)
    with db.session() as session:
        rows = session.get_one(Document, document_id).segments
        assert [(r.key_id, r.ciphertext_sha256) for r in rows] == [
            ("pk2", "0" * 64),
            ("pk2", "1" * 64),
        ]
        headers = document_rows.header_segments(session, [document_id])
        assert [row.path for row in headers] == ["header"]
        assert document_rows.segment_count(session, patient_id) == 2
        assert document_rows.segment_count(session, uuid.uuid4()) == 0
        assert document_rows.latest_version(session, patient_id, "doc") == 1
        assert document_rows.latest_version(session, patient_id, "other") is None


def _document(
    db: Database,
    series: str,
    version: int,
    kinds: list[K],
    *,
    status: DocumentStatus = DocumentStatus.STORED,
    type_code: str | None = "34133-9",
    at: datetime = T0,
) -> tuple[int, list[uuid.UUID]]:
    """A document version with a segment of each kind; its id and the tracking ids."""
    with db.session() as session:
        row = Document(
            patient_id=PATIENT,
            document_key=f"{series}^{version}",
            series=series,
            version=version,
            content_sha256=f"{series}-{version}".ljust(64, "0"),
            type_code=type_code,
            status=status,
            created_at=at,
            stored_at=at if status == DocumentStatus.STORED else None,
        )
        session.add(row)
        session.flush()
        tracking = [uuid.uuid5(PATIENT, f"{series}/{kind}") for kind in kinds]
        for kind, tracking_id in zip(kinds, tracking, strict=True):
            session.add(
                StoredSegment(
                    document_id=row.id,
                    patient_id=PATIENT,
                    tracking_id=tracking_id,
                    version=version,
                    kind=kind.value,
                    path="/",
                    container="c",
                    object_name=f"{tracking_id}/{version}",
                    key_id="k1",
                    algorithm="A256GCM",
                    content_sha256="0" * 64,
                    ciphertext_sha256="0" * 64,
                    size=10,
                )
            )
        return row.id, tracking


def test_only_stored_documents_count_and_a_later_version_replaces_the_earlier(
    db: Database,
) -> None:
    first, _ = _document(db, "visit", 1, [K.HEALTH_STATUS, K.LIFESTYLE])
    second, _ = _document(db, "visit", 2, [K.HEALTH_STATUS], at=T0 + timedelta(days=1))
    pending, _ = _document(db, "visit", 3, [K.LIFESTYLE], status=DocumentStatus.PENDING)
    other, _ = _document(
        db, "labs", 1, [K.BODY_MEASURES], type_code=None, at=T0 - timedelta(days=1)
    )
    with db.session() as session:
        listed = [
            (row.id, current) for row, current in document_rows.documents_of(session, PATIENT)
        ]
        assert listed == [(second, True), (first, False), (other, True)]  # newest first
        current = document_rows.current_segments(session, PATIENT)
        assert [(s.document_id, s.kind) for s in current] == [
            (second, K.HEALTH_STATUS.value),
            (other, K.BODY_MEASURES.value),
        ]
        every = document_rows.segments_of(session, PATIENT, {K.HEALTH_STATUS, K.LIFESTYLE})
        assert [s.document_id for s in every] == [first, first, second]
        assert document_rows.type_codes(session, PATIENT) == {
            first: "34133-9",
            second: "34133-9",
            other: None,
        }
        assert pending not in document_rows.stored_times(session, PATIENT, [first, pending])


def test_a_segment_is_found_by_tracking_id_newest_version_first(db: Database) -> None:
    _, [tracking] = _document(db, "visit", 1, [K.HEALTH_STATUS])
    # The same section in the next version keeps its tracking id (uuid5 of series, kind).
    _document(db, "visit", 2, [K.HEALTH_STATUS])
    _document(db, "visit", 3, [K.HEALTH_STATUS], status=DocumentStatus.PENDING)
    with db.session() as session:
        newest = document_rows.segment_by_tracking_id(session, tracking)
        assert newest is not None
        assert newest.version == 2
        first = document_rows.segment_by_tracking_id(session, tracking, 1)
        assert first is not None
        assert first.version == 1
        assert document_rows.segment_by_tracking_id(session, tracking, 3) is None


def test_current_sources_are_of_one_type_and_the_current_version(db: Database) -> None:
    _document(db, "visit", 1, [K.PHYSICAL_SIGNS], type_code="74165-2")
    second, [tracking] = _document(db, "visit", 2, [K.PHYSICAL_SIGNS], type_code="74165-2")
    _document(db, "ccd", 1, [K.PHYSICAL_SIGNS])
    with db.session() as session:
        found = document_rows.current_sources(session, PATIENT, {K.PHYSICAL_SIGNS}, "74165-2")
    assert found == {tracking: second}


def test_a_documents_versions_and_what_is_stored_so_far(db: Database) -> None:
    with db.session() as session:
        assert document_rows.stored_so_far(session, PATIENT) == (0, None)
    first, [sign] = _document(db, "visit", 1, [K.PHYSICAL_SIGNS])
    _document(db, "visit", 3, [K.PHYSICAL_SIGNS], status=DocumentStatus.PENDING)
    with db.session() as session:
        assert document_rows.stored_so_far(session, PATIENT) == (1, first)
        assert document_rows.later_stored(session, PATIENT, "visit", 0)
        assert not document_rows.later_stored(session, PATIENT, "visit", 1)  # 3 is pending
        assert document_rows.earlier_sources(session, PATIENT, "visit", 2) == {sign}
        assert document_rows.earlier_sources(session, PATIENT, "visit", 1) == frozenset()
