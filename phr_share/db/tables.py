"""The index: where every segment lives, under which key, and what was released or erased.

Holds ids, kinds, hashes and object names only: no patient data is ever written here
except the wrapped (encrypted) patient keys, which are useless without the key store.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AuditTreeHead",
    "Base",
    "Document",
    "DocumentStatus",
    "Erasure",
    "Patient",
    "PatientKey",
    "Release",
    "ReleaseChoice",
    "ReleaseItem",
    "SeriesBucket",
    "StoredSegment",
    "UtcDateTime",
]

# Stable constraint names, so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Give back an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class DocumentStatus(StrEnum):
    """Lifecycle of a document and its segments: pending until every object is stored."""

    PENDING = "pending"
    STORED = "stored"


class Patient(Base):
    """A patient, known only by the opaque global id the caller supplies."""

    __tablename__ = "patients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class PatientKey(Base):
    """A patient key version, wrapped by a master key version; ``wrapped`` is None once shredded."""

    __tablename__ = "patient_keys"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    master_version: Mapped[str] = mapped_column(String(2048))
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Document(Base):
    """One version of a source document; its segments become visible when it is ``stored``."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("patient_id", "series", "version"),
        UniqueConstraint("patient_id", "content_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    # The document's CDA id (root^extension) and its set id, which versions share.
    document_key: Mapped[str] = mapped_column(String(512))
    series: Mapped[str] = mapped_column(String(512))
    version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    # The document's LOINC type code (e.g. 34133-9, a CCD), when it has one: no free text.
    type_code: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stored_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # While pending: the ingest writing its objects (a random id) and since when. One
    # attempt holds a journal at a time; one that gave up (None) or has held it too long
    # to be alive is taken over by the next.
    attempt: Mapped[str | None] = mapped_column(String(32), default=None)
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    segments: Mapped[list[StoredSegment]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="StoredSegment.id"
    )


class StoredSegment(Base):
    """Where one version of a segment lives in the private store, and under which key."""

    __tablename__ = "segments"
    __table_args__ = (
        UniqueConstraint("tracking_id", "version"),
        Index("ix_segments_patient_kind", "patient_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    tracking_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(128))
    container: Mapped[str] = mapped_column(String(64))
    object_name: Mapped[str] = mapped_column(String(256))
    key_id: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)

    document: Mapped[Document] = relationship(back_populates="segments")


class SeriesBucket(Base):
    """One calendar month (UTC) of one kind of a patient's measurement series, sealed
    with the patient's key: in clear only the patient's opaque id, kind, month and count,
    and what opening it needs (the revision and the patient key's id); no write time.

    ``revision`` counts the writes; the seal is bound to it, and a writer that finds it
    moved since it read the bucket starts again (see :mod:`phr_share.sharing.series`).
    """

    __tablename__ = "series_buckets"
    __table_args__ = (UniqueConstraint("patient_id", "kind", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))
    revision: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class ReleaseChoice(Base):
    """A kind a patient released for research; ``withdrawn_at`` stops future releases."""

    __tablename__ = "release_choices"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    chosen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Release(Base):
    """A research release: pending while its objects are written, published with its manifest."""

    __tablename__ = "releases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    bucket: Mapped[str] = mapped_column(String(63))
    manifest_name: Mapped[str] = mapped_column(String(256))
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    # Newline-separated object names, so an interrupted release can be cleaned up.
    object_names: Mapped[str] = mapped_column(String)
    k_requested: Mapped[int] = mapped_column(Integer)
    k_achieved: Mapped[int | None] = mapped_column(Integer, default=None)
    records_in: Mapped[int] = mapped_column(Integer, default=0)
    records_suppressed: Mapped[int] = mapped_column(Integer, default=0)
    records_out: Mapped[int] = mapped_column(Integer, default=0)
    kinds: Mapped[str] = mapped_column(String(512), default="")


class ReleaseItem(Base):
    """What a release did with one segment: ``published`` (``object_name`` says where),
    ``suppressed`` by the k-anonymity gate (a later release tries it again) or ``no-data``
    (no coded statement to release, so later releases skip it)."""

    __tablename__ = "release_items"

    release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("releases.id"), primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    object_name: Mapped[str | None] = mapped_column(String(256), default=None)


class Erasure(Base):
    """A crypto-shredding: the patient's keys destroyed and their container deleted."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime)
    keys_destroyed: Mapped[int] = mapped_column(Integer)
    segments: Mapped[int] = mapped_column(Integer)
    objects_deleted: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """One audit entry, chained to the one before by ``prev_hash``; ids and codes only.

    ``leaf_hash`` is its Merkle leaf hash (hex), kept so proofs need not re-encode entries.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_patient", "patient_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str | None] = mapped_column(String(256))
    details: Mapped[str] = mapped_column(String)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    leaf_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last entry of the chain (one row), updated in the same transaction as it.

    ``frontier`` holds the Merkle tree's right edge (the roots of its perfect subtrees,
    largest first, as concatenated hex), so appending and signing never read the leaves.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[str] = mapped_column(String, default="")


class AuditTreeHead(Base):
    """A signed tree head, as written to the object store(s): a copy for convenience only.

    Verification never trusts this table; it reads the head objects themselves.
    """

    __tablename__ = "audit_tree_heads"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    object_name: Mapped[str] = mapped_column(String(256))
