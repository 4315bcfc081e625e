"""The index database: SQLAlchemy 2 models and Alembic migrations (SQLite or PostgreSQL)."""

from phr_share.db.database import Database
from phr_share.db.tables import (
    AuditEntry,
    AuditHead,
    Base,
    Document,
    DocumentStatus,
    Erasure,
    Patient,
    PatientKey,
    Release,
    ReleaseChoice,
    ReleaseItem,
    StoredSegment,
)

__all__ = [
    "AuditEntry",
    "AuditHead",
    "Base",
    "Database",
    "Document",
    "DocumentStatus",
    "Erasure",
    "Patient",
    "PatientKey",
    "Release",
    "ReleaseChoice",
    "ReleaseItem",
    "StoredSegment",
]
