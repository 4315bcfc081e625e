"""The index database: SQLAlchemy 2 models and Alembic migrations (SQLite or PostgreSQL).

``Session`` is the unit of work a use case opens with :meth:`Database.session`; the
queries it runs live in :mod:`phr_share.db.queries`. ``RowConflict`` is what a flush or
commit raises when a row breaks a unique or foreign-key constraint (a lost race).
"""

from sqlalchemy.exc import IntegrityError as RowConflict
from sqlalchemy.orm import Session

from phr_share.db.accounts import ApiToken, User, WebSession
from phr_share.db.auth import (
    MfaFactor,
    PasswordReset,
    PendingSignIn,
    RecoveryCode,
    ResetRequest,
    SignInFailure,
)
from phr_share.db.consent import (
    CareRelationship,
    CareTarget,
    Emergency,
    Grant,
    GrantEvent,
    Notification,
    SensitivityOverride,
    ShareLink,
)
from phr_share.db.database import OUTBOX, Database
from phr_share.db.tables import (
    AuditEntry,
    AuditHead,
    AuditTreeHead,
    Base,
    Document,
    DocumentStatus,
    Erasure,
    Patient,
    PatientKey,
    Release,
    ReleaseChoice,
    ReleaseItem,
    SeriesBucket,
    StoredSegment,
)

__all__ = [
    "OUTBOX",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "AuditTreeHead",
    "Base",
    "CareRelationship",
    "CareTarget",
    "Database",
    "Document",
    "DocumentStatus",
    "Emergency",
    "Erasure",
    "Grant",
    "GrantEvent",
    "MfaFactor",
    "Notification",
    "PasswordReset",
    "Patient",
    "PatientKey",
    "PendingSignIn",
    "RecoveryCode",
    "Release",
    "ReleaseChoice",
    "ReleaseItem",
    "ResetRequest",
    "RowConflict",
    "SensitivityOverride",
    "SeriesBucket",
    "Session",
    "ShareLink",
    "SignInFailure",
    "StoredSegment",
    "User",
    "WebSession",
]
