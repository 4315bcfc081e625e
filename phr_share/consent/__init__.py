"""Consent, pure: the decision point, its facts, credentials and FHIR views (no I/O)."""

from phr_share.consent.credentials import (
    DEFAULT_COST,
    ScryptCost,
    check_password,
    hash_password,
    mint_token,
    token_digest,
)
from phr_share.consent.decide import decide
from phr_share.consent.model import (
    CLINICIANS,
    DEFAULT_SENSITIVITY,
    BreakGlassTerms,
    Decision,
    Facts,
    GrantStatus,
    GrantTerms,
    LinkTerms,
    Principal,
    Purpose,
    Reason,
    Request,
    Role,
    Sensitivity,
)

__all__ = [
    "CLINICIANS",
    "DEFAULT_COST",
    "DEFAULT_SENSITIVITY",
    "BreakGlassTerms",
    "Decision",
    "Facts",
    "GrantStatus",
    "GrantTerms",
    "LinkTerms",
    "Principal",
    "Purpose",
    "Reason",
    "Request",
    "Role",
    "ScryptCost",
    "Sensitivity",
    "check_password",
    "decide",
    "hash_password",
    "mint_token",
    "token_digest",
]
