"""Consent's queries over a real database: which grants, links and emergencies they find,
in which order, the patient named where one has an account, and a share link claimed
once only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from phr_share.consent import GrantStatus
from phr_share.db import (
    Database,
    Emergency,
    Grant,
    GrantEvent,
    Patient,
    SensitivityOverride,
    ShareLink,
    User,
)
from phr_share.db.consent import terms_digest
from phr_share.db.queries import consent as consent_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PATIENT = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER_PATIENT = uuid.UUID("00000000-0000-4000-8000-00000000000b")
DOCTOR = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
NURSE = uuid.UUID("00000000-0000-4000-8000-0000000000d2")


@pytest.fixture
def db(blank_db: Database) -> Database:
    db = blank_db
    with db.session() as session:
        session.add_all(Patient(id=p, created_at=NOW) for p in (PATIENT, OTHER_PATIENT))
        session.add_all(
            User(id=u, username=str(u), role="doctor", display_name="Dr", created_at=NOW)
            for u in (DOCTOR, NURSE)
        )
    return db


def _grant(patient: uuid.UUID, grantee: uuid.UUID, status: GrantStatus, kinds: str) -> Grant:
    return Grant(
        patient_id=patient,
        grantee_id=grantee,
        purpose="treatment",
        kinds=kinds,
        except_kinds="",
        valid_from=NOW,
        status=status.value,
        created_at=NOW,
        terms_sha256=terms_digest(kinds, "", None),
    )


def _add(db: Database, *rows: Grant | GrantEvent | ShareLink | Emergency) -> list[int]:
    with db.session() as session:
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _name_patient(db: Database) -> None:
    """Give the patient an account, named Jordan Lee."""
    with db.session() as session:
        session.add(
            User(
                id=uuid.uuid4(),
                username="jordan",
                role="patient",
                display_name="Jordan Lee",
                patient_id=PATIENT,
                created_at=NOW,
            )
        )


def test_a_grantees_live_grants_are_the_active_and_pending_ones(db: Database) -> None:
    active, pending, _, _, _ = _add(
        db,
        _grant(PATIENT, DOCTOR, GrantStatus.ACTIVE, "allergies"),
        _grant(PATIENT, DOCTOR, GrantStatus.PENDING, "results"),
        _grant(PATIENT, DOCTOR, GrantStatus.REVOKED, "results"),
        _grant(PATIENT, NURSE, GrantStatus.ACTIVE, "allergies"),
        _grant(OTHER_PATIENT, DOCTOR, GrantStatus.ACTIVE, "allergies"),
    )
    with db.session() as session:
        live = consent_rows.live_grants_between(session, PATIENT, DOCTOR)
        assert sorted(g.id for g in live) == [active, pending]
        to = consent_rows.active_grants_to(session, PATIENT, [DOCTOR])
        assert [g.id for g in to] == [active]
        assert consent_rows.active_grants_to(session, PATIENT, []) == []
        every = consent_rows.grants_between(session, PATIENT, DOCTOR)
        assert sorted(g.status for g in every) == ["active", "pending", "revoked"]
        assert sorted(consent_rows.grantees_of(session, PATIENT)) == sorted([DOCTOR, NURSE])


def test_active_grants_held_name_only_patients_with_an_account(db: Database) -> None:
    _name_patient(db)
    _add(
        db,
        _grant(PATIENT, DOCTOR, GrantStatus.ACTIVE, "allergies"),
        _grant(PATIENT, DOCTOR, GrantStatus.REVOKED, "allergies"),
        _grant(OTHER_PATIENT, DOCTOR, GrantStatus.ACTIVE, "allergies"),
        _grant(PATIENT, NURSE, GrantStatus.PENDING, "allergies"),
    )
    with db.session() as session:
        rows = consent_rows.active_grants_held(session, DOCTOR)
        assert [(g.patient_id, g.status, name) for g, name in rows] == [
            (PATIENT, "active", "Jordan Lee")
        ]
        assert consent_rows.active_grants_held(session, NURSE) == []


def test_the_twin_of_a_grant_has_the_same_terms_and_status(db: Database) -> None:
    (stored,) = _add(db, _grant(PATIENT, DOCTOR, GrantStatus.ACTIVE, "allergies"))
    with db.session() as session:
        same = _grant(PATIENT, DOCTOR, GrantStatus.ACTIVE, "allergies")
        twin = consent_rows.live_twin(session, same)
        assert twin is not None
        assert twin.id == stored
        other_terms = _grant(PATIENT, DOCTOR, GrantStatus.ACTIVE, "results")
        assert consent_rows.live_twin(session, other_terms) is None
        pending = _grant(PATIENT, DOCTOR, GrantStatus.PENDING, "allergies")
        assert consent_rows.live_twin(session, pending) is None


def test_a_patients_grants_and_their_history_come_oldest_first(db: Database) -> None:
    first, second, _ = _add(
        db,
        _grant(PATIENT, DOCTOR, GrantStatus.REVOKED, "allergies"),
        _grant(PATIENT, NURSE, GrantStatus.ACTIVE, "allergies"),
        _grant(OTHER_PATIENT, DOCTOR, GrantStatus.ACTIVE, "allergies"),
    )
    events = [
        GrantEvent(grant_id=g, at=NOW, actor="user:x", event=e, terms="{}")
        for g, e in ((second, "created"), (first, "created"), (first, "revoked"))
    ]
    _add(db, *events)
    with db.session() as session:
        grants = consent_rows.grants_of_patient(session, PATIENT)
        assert [g.id for g in grants] == [first, second]
        history = consent_rows.grant_events(session, [first])
        assert [e.event for e in history] == ["created", "revoked"]
        assert len(consent_rows.grant_events(session, [first, second])) == 3


def test_sensitivity_overrides_are_the_patients_own(db: Database) -> None:
    with db.session() as session:
        session.add_all(
            [
                SensitivityOverride(
                    patient_id=PATIENT, kind="results", level="restricted", changed_at=NOW
                ),
                SensitivityOverride(
                    patient_id=OTHER_PATIENT, kind="allergies", level="restricted", changed_at=NOW
                ),
            ]
        )
    with db.session() as session:
        rows = consent_rows.sensitivity_overrides(session, PATIENT)
        assert [(r.kind, r.level) for r in rows] == [("results", "restricted")]


def _link(patient: uuid.UUID, digest: str) -> ShareLink:
    return ShareLink(
        patient_id=patient,
        doctor_id=DOCTOR,
        digest=digest,
        kinds="allergies",
        created_at=NOW,
        expires_at=NOW + timedelta(hours=48),
    )


def test_a_link_is_found_by_digest_and_claimed_only_once(db: Database) -> None:
    older, newer, _ = _add(
        db, _link(PATIENT, "a" * 64), _link(PATIENT, "b" * 64), _link(OTHER_PATIENT, "c" * 64)
    )
    with db.session() as session:
        found = consent_rows.link_by_digest(session, "b" * 64)
        assert found is not None
        assert found.id == newer
        assert consent_rows.link_by_digest(session, "d" * 64) is None
        assert [row.id for row in consent_rows.links_of_patient(session, PATIENT)] == [newer, older]
    with db.session() as session:
        assert consent_rows.claim_link(session, older, NOW)
        assert not consent_rows.claim_link(session, older, NOW + timedelta(minutes=1))
    with db.session() as session:
        assert session.get_one(ShareLink, older).used_at == NOW


def test_emergencies_newest_first_and_the_queue_oldest_first(db: Database) -> None:
    def declared(patient: uuid.UUID, reviewed: bool) -> Emergency:
        return Emergency(
            patient_id=patient,
            clinician_id=DOCTOR,
            reason="unconscious in the ward",
            started_at=NOW,
            until=NOW + timedelta(hours=4),
            reviewed_at=NOW if reviewed else None,
        )

    first, second, third = _add(
        db, declared(PATIENT, False), declared(PATIENT, True), declared(OTHER_PATIENT, False)
    )
    with db.session() as session:
        assert [e.id for e in consent_rows.emergencies_on(session, PATIENT)] == [second, first]
        assert [e.id for e in consent_rows.unreviewed_emergencies(session)] == [first, third]


def test_a_clinicians_emergencies_and_the_ones_still_running(db: Database) -> None:
    _name_patient(db)

    def declared(patient: uuid.UUID, clinician: uuid.UUID, until: datetime) -> Emergency:
        return Emergency(
            patient_id=patient, clinician_id=clinician, reason="r", started_at=NOW, until=until
        )

    hour = timedelta(hours=1)
    running, over, _, _ = _add(
        db,
        declared(PATIENT, DOCTOR, NOW + hour),
        declared(PATIENT, DOCTOR, NOW),
        declared(PATIENT, NURSE, NOW),
        declared(OTHER_PATIENT, DOCTOR, NOW + hour),
    )
    with db.session() as session:
        by = consent_rows.emergencies_by(session, PATIENT, DOCTOR)
        assert sorted(e.id for e in by) == [running, over]
        assert consent_rows.has_live_emergency(session, PATIENT, DOCTOR, NOW)
        assert not consent_rows.has_live_emergency(session, PATIENT, DOCTOR, NOW + hour)
        assert not consent_rows.has_live_emergency(session, PATIENT, NURSE, NOW)
        [(emergency, name)] = consent_rows.live_emergencies_of(session, DOCTOR, NOW)
        assert (emergency.id, name) == (running, "Jordan Lee")
        assert consent_rows.live_emergencies_of(session, NURSE, NOW) == []
