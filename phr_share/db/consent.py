"""Care relationships, grants and their history, links, emergencies, notices, targets.

Ids, codes and timestamps; the only free text is an emergency's written reason, kept
here for the patient and the reviewing admin, never copied into the audit log. The
accounts these rows name are in :mod:`phr_share.db.accounts`.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from phr_share.db.tables import Base, UtcDateTime

__all__ = [
    "CareRelationship",
    "Emergency",
    "Grant",
    "GrantEvent",
    "Notification",
    "SensitivityOverride",
    "ShareLink",
    "terms_digest",
]

# A grant that is live: in force, or waiting for the patient to approve it.
_LIVE_GRANT = text("status IN ('active', 'pending')")


def terms_digest(kinds: str, except_kinds: str, valid_until: datetime | None) -> str:
    """SHA-256 of a grant's terms as the index holds them (kinds, exceptions, end)."""
    until = "" if valid_until is None else valid_until.astimezone(UTC).isoformat()
    return hashlib.sha256(f"{kinds}\n{except_kinds}\n{until}".encode()).hexdigest()


class CareRelationship(Base):
    """A clinician or a caregiver caring for a patient: invited or requested, then
    active, then ended; ``danger_notices`` says whether they are told of a reading in
    the danger zone (clinicians always are, a caregiver when the patient chose so)."""

    __tablename__ = "care_relationships"
    __table_args__ = (Index("ix_care_relationships_pair", "patient_id", "clinician_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    initiated_by: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    danger_notices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Grant(Base):
    """A consent: grantee, kinds (empty = blanket), exceptions, purpose, validity, status."""

    __tablename__ = "grants"
    __table_args__ = (
        Index("ix_grants_patient_grantee", "patient_id", "grantee_id"),
        # One live grant per clinician, purpose, status and terms: of two identical
        # requests at once, the database lets one in (the other gets its id).
        Index(
            "uq_grants_live_terms",
            "patient_id",
            "grantee_id",
            "purpose",
            "status",
            "terms_sha256",
            unique=True,
            sqlite_where=_LIVE_GRANT,
            postgresql_where=_LIVE_GRANT,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    grantee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    # Comma-separated kinds; "*" is a blanket grant (restricted kinds excluded).
    kinds: Mapped[str] = mapped_column(String(512))
    except_kinds: Mapped[str] = mapped_column(String(512), default="")
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    status: Mapped[str] = mapped_column(String(16))
    # Set on a grant a clinician asked for on a partner's behalf: pending until approved.
    delegated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # terms_digest of kinds, exceptions and end; None only on a duplicate made before
    # the unique index existed (it stays readable and revocable, never matched).
    terms_sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class GrantEvent(Base):
    """One step in a grant's history: what changed, by whom, when."""

    __tablename__ = "grant_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16))
    # The grant's terms after the event, as compact JSON of ids and codes.
    terms: Mapped[str] = mapped_column(String)


class SensitivityOverride(Base):
    """A patient's own sensitivity level for one kind."""

    __tablename__ = "sensitivity_overrides"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ShareLink(Base):
    """A one-visit link: the token's SHA-256, the named doctor, the kinds, single use."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kinds: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Emergency(Base):
    """A break-glass declaration, time-boxed, waiting for an admin's review."""

    __tablename__ = "emergencies"
    __table_args__ = (Index("ix_emergencies_pair", "patient_id", "clinician_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(2000))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime] = mapped_column(UtcDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    review_outcome: Mapped[str | None] = mapped_column(String(16), default=None)


class Notification(Base):
    """Something a user must see at their next login (a break-glass on their record)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    topic: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class CareTarget(Base):
    """The targets a clinician set for a patient's readings; the newest row holds. Rows
    are kept, so the patient sees who set which targets when."""

    __tablename__ = "care_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    systolic: Mapped[int] = mapped_column(Integer)
    diastolic: Mapped[int] = mapped_column(Integer)
    glucose_low: Mapped[int] = mapped_column(Integer)  # mg/dL
    glucose_high: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)
