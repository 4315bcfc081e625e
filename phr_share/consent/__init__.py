"""Consent, pure: the decision point, its facts, one-time passwords, the sign-in
throttle's rules and FHIR views (no I/O). Passwords, tokens and recovery codes are
hashed in :mod:`phr_share.crypto.credentials`."""

from phr_share.consent.decide import decide
from phr_share.consent.model import (
    CARERS,
    CLINICIANS,
    DEFAULT_SENSITIVITY,
    BreakGlassTerms,
    CareStatus,
    Decision,
    Facts,
    GrantStatus,
    GrantTerms,
    LinkTerms,
    Principal,
    PrincipalId,
    Purpose,
    Reason,
    Request,
    Role,
    Sensitivity,
)
from phr_share.consent.naming import decide_name

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
    "decide",
    "decide_name",
]
