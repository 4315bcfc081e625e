"""The document queries: the ingest journal's hold, and the segment rows' bulk writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.db import Database, Document, DocumentStatus, Patient
from phr_share.db.queries import documents as document_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
STALE = NOW - timedelta(minutes=15)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    db.migrate()
    yield db
    db.dispose()


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
