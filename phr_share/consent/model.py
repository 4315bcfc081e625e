"""What a decision is made from: who asks, about what, and the patient's consents.

Plain frozen dataclasses, no I/O: the use cases load them from the database, the
decision point reads them, the tests build them by hand. Who asks (``Principal``,
``Role``), why (``Purpose``), the reason codes (``Reason``), the sensitivity levels and
the grant and care statuses are shared vocabulary and live in :mod:`phr_share.models`;
they are named here too for the decision's readers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from phr_share.models import (
    CARERS,
    CLINICIANS,
    CareStatus,
    GrantStatus,
    Principal,
    PrincipalId,
    Purpose,
    Reason,
    Role,
    SegmentKind,
    Sensitivity,
)

__all__ = [
    "CARERS",
    "CLINICIANS",
    "DEFAULT_SENSITIVITY",
    "BreakGlassTerms",
    "CareStatus",
    "Decision",
    "Facts",
    "GrantStatus",
    "GrantTerms",
    "LinkTerms",
    "Principal",
    "PrincipalId",
    "Purpose",
    "Reason",
    "Request",
    "Role",
    "Sensitivity",
]


# The defaults a patient's own overrides start from.
DEFAULT_SENSITIVITY: Mapping[SegmentKind, Sensitivity] = {
    SegmentKind.PERSONAL: Sensitivity.RESTRICTED,
    SegmentKind.FAMILY_HISTORY: Sensitivity.RESTRICTED,
    SegmentKind.PATIENT_NARRATIVE: Sensitivity.VERY_RESTRICTED,
}


@dataclass(frozen=True, slots=True)
class GrantTerms:
    """One grant as the decision point sees it; ``kinds`` None is a blanket grant."""

    id: int
    grantee: PrincipalId
    patient_id: uuid.UUID
    purpose: Purpose
    kinds: frozenset[SegmentKind] | None
    valid_from: datetime
    valid_until: datetime | None = None
    status: GrantStatus = GrantStatus.ACTIVE
    except_kinds: frozenset[SegmentKind] = frozenset()

    def started(self, at: datetime) -> bool:
        """True once the grant's period has begun."""
        return self.valid_from <= at

    def ended(self, at: datetime) -> bool:
        """True once the grant's period is over (``valid_until`` itself is outside it)."""
        return self.valid_until is not None and at >= self.valid_until

    def in_force(self, at: datetime) -> bool:
        """Active and within its period at ``at``."""
        return self.status is GrantStatus.ACTIVE and self.started(at) and not self.ended(at)


@dataclass(frozen=True, slots=True)
class BreakGlassTerms:
    """A declared emergency: one clinician, one patient, a time box."""

    id: int
    clinician: PrincipalId
    patient_id: uuid.UUID
    started: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class LinkTerms:
    """A one-visit share link for a named doctor and the kinds the patient chose."""

    id: int
    doctor: PrincipalId
    patient_id: uuid.UUID
    kinds: frozenset[SegmentKind]
    expires: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything about one patient the decision may depend on; ``care`` is the status of
    the asker's open (not ended) care relationship with the patient, None for none."""

    patient_id: uuid.UUID
    grants: tuple[GrantTerms, ...] = ()
    emergencies: tuple[BreakGlassTerms, ...] = ()
    overrides: Mapping[SegmentKind, Sensitivity] = field(default_factory=dict)
    released: frozenset[SegmentKind] = frozenset()
    care: CareStatus | None = None

    def sensitivity(self, kind: SegmentKind) -> Sensitivity:
        """The kind's level for this patient: their override, else the default."""
        return self.overrides.get(kind, DEFAULT_SENSITIVITY.get(kind, Sensitivity.NORMAL))


@dataclass(frozen=True, slots=True)
class Request:
    """One read to decide: who, whose, which kind, why, when, and through which link."""

    principal: Principal
    patient_id: uuid.UUID
    kind: SegmentKind
    purpose: Purpose
    at: datetime
    link: LinkTerms | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Permit or deny, the reason code, and what it rests on (``grant:7``, ``break-glass:3``)."""

    permit: bool
    reason: Reason
    basis: str | None = None

    @property
    def emergency(self) -> bool:
        """True when only a declared emergency opened the segment (the audit flags it)."""
        return self.reason is Reason.BREAK_GLASS
