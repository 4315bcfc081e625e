"""The index database: SQLAlchemy 2 models and Alembic migrations (SQLite or PostgreSQL)."""

from phr_share.db.consent import (
    ApiToken,
    CareRelationship,
    Emergency,
    Grant,
    GrantEvent,
    Notification,
    SensitivityOverride,
    ShareLink,
    User,
)
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
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Base",
    "CareRelationship",
    "Database",
    "Document",
    "DocumentStatus",
    "Emergency",
    "Erasure",
    "Grant",
    "GrantEvent",
    "Notification",
    "Patient",
    "PatientKey",
    "Release",
    "ReleaseChoice",
    "ReleaseItem",
    "SensitivityOverride",
    "ShareLink",
    "StoredSegment",
    "User",
]
