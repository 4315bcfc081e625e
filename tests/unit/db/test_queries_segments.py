"""The read paths' queries: stored documents only, the current version of each series,
and the order the pages rely on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.db import Database, Document, DocumentStatus, Patient, StoredSegment
from phr_share.db.queries import segments
from phr_share.models import SegmentKind as K

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PATIENT = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    with database.session() as session:
        session.add(Patient(id=PATIENT, created_at=T0))
    yield database
    database.dispose()


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
        listed = [(row.id, current) for row, current in segments.documents_of(session, PATIENT)]
        assert listed == [(second, True), (first, False), (other, True)]  # newest first
        current = segments.current_segments(session, PATIENT)
        assert [(s.document_id, s.kind) for s in current] == [
            (second, K.HEALTH_STATUS.value),
            (other, K.BODY_MEASURES.value),
        ]
        every = segments.segments_of(session, PATIENT, {K.HEALTH_STATUS, K.LIFESTYLE})
        assert [s.document_id for s in every] == [first, first, second]
        assert segments.type_codes(session, PATIENT) == {
            first: "34133-9",
            second: "34133-9",
            other: None,
        }
        assert pending not in segments.stored_times(session, PATIENT, [first, pending])


def test_a_segment_is_found_by_tracking_id_newest_version_first(db: Database) -> None:
    _, [tracking] = _document(db, "visit", 1, [K.HEALTH_STATUS])
    # The same section in the next version keeps its tracking id (uuid5 of series, kind).
    _document(db, "visit", 2, [K.HEALTH_STATUS])
    _document(db, "visit", 3, [K.HEALTH_STATUS], status=DocumentStatus.PENDING)
    with db.session() as session:
        newest = segments.segment_by_tracking_id(session, tracking)
        assert newest is not None
        assert newest.version == 2
        first = segments.segment_by_tracking_id(session, tracking, 1)
        assert first is not None
        assert first.version == 1
        assert segments.segment_by_tracking_id(session, tracking, 3) is None


def test_current_sources_are_of_one_type_and_the_current_version(db: Database) -> None:
    _document(db, "visit", 1, [K.PHYSICAL_SIGNS], type_code="74165-2")
    second, [tracking] = _document(db, "visit", 2, [K.PHYSICAL_SIGNS], type_code="74165-2")
    _document(db, "ccd", 1, [K.PHYSICAL_SIGNS])
    with db.session() as session:
        found = segments.current_sources(session, PATIENT, {K.PHYSICAL_SIGNS}, "74165-2")
    assert found == {tracking: second}
