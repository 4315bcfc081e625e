"""The release queries: what a patient releases, and which segments wait for a release."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from phr_share.db import (
    Database,
    Document,
    DocumentStatus,
    Patient,
    Release,
    ReleaseChoice,
    ReleaseItem,
    StoredSegment,
)
from phr_share.db.queries import releases as release_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PUBLISHED, PENDING = "published", "pending"


def _patient(db: Database, *kinds: str) -> uuid.UUID:
    """A patient who released ``kinds``."""
    patient_id = uuid.uuid4()
    with db.session() as session:
        session.add(Patient(id=patient_id, created_at=NOW))
        session.flush()
        for kind in kinds:
            session.add(ReleaseChoice(patient_id=patient_id, kind=kind, chosen_at=NOW))
    return patient_id


def _withdraw(db: Database, patient_id: uuid.UUID, kind: str) -> None:
    with db.session() as session:
        session.get_one(ReleaseChoice, (patient_id, kind)).withdrawn_at = NOW


def _document(
    db: Database, patient_id: uuid.UUID, *kinds: str, status: str = DocumentStatus.STORED
) -> list[int]:
    """A document of the patient with one segment per kind; the segments' ids."""
    with db.session() as session:
        document = Document(
            patient_id=patient_id,
            document_key=uuid.uuid4().hex,
            series=uuid.uuid4().hex,
            version=1,
            content_sha256=uuid.uuid4().hex,
            status=status,
            created_at=NOW,
        )
        session.add(document)
        session.flush()
        rows = [
            StoredSegment(
                document_id=document.id,
                patient_id=patient_id,
                tracking_id=uuid.uuid4(),
                version=1,
                kind=kind,
                path=f"section/{index}",
                container=str(patient_id),
                object_name=f"{kind}/{index}",
                key_id="pk1",
                algorithm="AES-256-GCM",
                content_sha256="0" * 64,
                ciphertext_sha256="0" * 64,
                size=1,
            )
            for index, kind in enumerate(kinds)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _released_in(db: Database, status: str, outcomes: dict[int, str]) -> None:
    """A release run in ``status`` that gave each segment its outcome."""
    release_id = uuid.uuid4()
    with db.session() as session:
        session.add(
            Release(
                id=release_id,
                status=status,
                created_at=NOW,
                bucket="research",
                manifest_name="manifest.json",
                object_names="",
                k_requested=3,
            )
        )
        session.flush()
        for segment_id, outcome in outcomes.items():
            session.add(ReleaseItem(release_id=release_id, segment_id=segment_id, outcome=outcome))


def _waiting(db: Database, kinds: list[str]) -> list[int]:
    with db.session() as session:
        rows = release_rows.waiting_segments(session, kinds)
        return [row.id for row in rows]


def test_a_withdrawn_choice_no_longer_releases_its_kind(db: Database) -> None:
    patient_id = _patient(db, "physical-signs", "body-measures")
    other = _patient(db, "lifestyle")
    with db.session() as session:
        assert release_rows.released_kinds(session, patient_id) == {
            "physical-signs",
            "body-measures",
        }
    _withdraw(db, patient_id, "physical-signs")
    with db.session() as session:
        assert release_rows.released_kinds(session, patient_id) == {"body-measures"}
        assert [c.kind for c in release_rows.choices_in_force(session, patient_id)] == [
            "body-measures"
        ]
        assert release_rows.released_kinds(session, other) == {"lifestyle"}
        assert release_rows.released_kinds(session, uuid.uuid4()) == frozenset()


def test_waiting_segments_are_stored_released_and_of_a_releasable_kind(db: Database) -> None:
    patient_id = _patient(db, "physical-signs", "body-measures")
    first = _document(db, patient_id, "body-measures", "physical-signs", "lifestyle")
    second = _document(db, patient_id, "physical-signs")
    _document(db, patient_id, "physical-signs", status=DocumentStatus.PENDING)
    # In document order, then segment order; a kind not chosen, or not releasable, waits not.
    assert _waiting(db, ["physical-signs", "body-measures"]) == [*first[:2], *second]
    assert _waiting(db, ["physical-signs"]) == [first[1], *second]
    _withdraw(db, patient_id, "physical-signs")
    assert _waiting(db, ["physical-signs", "body-measures"]) == [first[0]]


def test_a_published_segment_waits_no_more_but_a_suppressed_one_does(db: Database) -> None:
    patient_id = _patient(db, "physical-signs")
    published, no_data, suppressed, in_pending_run = _document(
        db, patient_id, *["physical-signs"] * 4
    )
    _released_in(db, PUBLISHED, {published: "published", no_data: "no-data"})
    _released_in(db, PUBLISHED, {suppressed: "suppressed"})
    _released_in(db, PENDING, {in_pending_run: "published"})
    assert _waiting(db, ["physical-signs"]) == [suppressed, in_pending_run]


def test_an_erased_patients_segments_wait_no_more(db: Database) -> None:
    kept, erased = _patient(db, "physical-signs"), _patient(db, "physical-signs")
    [waiting] = _document(db, kept, "physical-signs")
    _document(db, erased, "physical-signs")
    with db.session() as session:
        session.get_one(Patient, erased).erased_at = NOW
    assert _waiting(db, ["physical-signs"]) == [waiting]


def test_the_pending_release_ids_are_those_of_runs_still_pending(db: Database) -> None:
    patient_id = _patient(db, "physical-signs")
    [segment] = _document(db, patient_id, "physical-signs")
    with db.session() as session:
        assert release_rows.pending_release_ids(session) == []
    _released_in(db, PUBLISHED, {segment: "published"})
    _released_in(db, PENDING, {segment: "published"})
    with db.session() as session:
        [pending] = release_rows.pending_release_ids(session)
        assert session.get_one(Release, pending).status == PENDING
