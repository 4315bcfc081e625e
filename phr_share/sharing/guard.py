"""The use-case boundary: who may call what, checked before anything is done.

Every public use case takes the acting :class:`Principal` first and checks it here (or,
for a read of a segment, through the decision point). The web and CLI layers only say
who is asking; they never decide. Every refusal is an :class:`AccessDenied` carrying a
:class:`Reason`, so a caller can tell people why in words without parsing messages.
"""

from __future__ import annotations

import uuid

from phr_share.errors import AccessDenied
from phr_share.models import CARERS, CLINICIANS, Principal, PrincipalId, Reason, Role

__all__ = [
    "OPERATOR",
    "ROUTER",
    "STEWARDS",
    "require_carer",
    "require_clinician",
    "require_owner",
    "require_owner_or",
    "require_owner_or_operator",
    "require_owner_or_steward",
    "require_role",
    "require_steward",
]

# Whoever runs the ``phr-share`` command on the server: trusted with the state directory
# and the keys already, so trusted with operations (ingest for a patient, erase, rotate).
OPERATOR = Principal(PrincipalId("operator:cli"), Role.OPERATOR)
# The release router: reads released segments (and the header to scrub) for research.
ROUTER = Principal(PrincipalId("system:router"), Role.SYSTEM)
# Who runs the system: an admin in the web app, the operator at the command line.
STEWARDS = frozenset({Role.ADMIN, Role.OPERATOR})


def require_role(principal: Principal, *roles: Role) -> Principal:
    """The principal, when it is active and has one of ``roles``; raises AccessDenied."""
    if not principal.active:
        raise AccessDenied(Reason.ACCOUNT_DISABLED)
    if principal.role not in roles:
        raise AccessDenied(Reason.ROLE_NOT_PERMITTED)
    return principal


def require_owner(principal: Principal, patient_id: uuid.UUID | None = None) -> uuid.UUID:
    """The patient id of an active patient principal (who must own ``patient_id`` when
    given); raises AccessDenied for anyone else."""
    require_role(principal, Role.PATIENT)
    if principal.patient_id is None:
        raise AccessDenied(Reason.ROLE_NOT_PERMITTED)
    if patient_id is not None and principal.patient_id != patient_id:
        raise AccessDenied(Reason.NOT_OWNER)
    return principal.patient_id


def require_steward(principal: Principal) -> Principal:
    """An active admin or the operator; raises AccessDenied for anyone else."""
    return require_role(principal, *STEWARDS)


def require_owner_or(principal: Principal, patient_id: uuid.UUID, *roles: Role) -> uuid.UUID:
    """``patient_id``, when the principal is that patient or active in one of ``roles``;
    raises AccessDenied otherwise."""
    if principal.role in roles:
        require_role(principal, *roles)
        return patient_id
    return require_owner(principal, patient_id)


def require_owner_or_steward(principal: Principal, patient_id: uuid.UUID) -> uuid.UUID:
    """``patient_id``, when the principal is that patient, an admin or the operator (ids
    and codes about the patient, never content); raises AccessDenied otherwise."""
    return require_owner_or(principal, patient_id, *STEWARDS)


def require_owner_or_operator(principal: Principal, patient_id: uuid.UUID) -> uuid.UUID:
    """``patient_id``, when the principal is that patient or the operator at the server
    (who already holds the keys); raises AccessDenied otherwise, admins included."""
    return require_owner_or(principal, patient_id, Role.OPERATOR)


def require_clinician(principal: Principal) -> uuid.UUID:
    """The account id of an active doctor or nurse; raises AccessDenied for anyone else."""
    require_role(principal, *CLINICIANS)
    user_id = principal.user_id
    if user_id is None:
        raise AccessDenied(Reason.ROLE_NOT_PERMITTED)
    return user_id


def require_carer(principal: Principal) -> uuid.UUID:
    """The account id of an active doctor, nurse or caregiver; raises AccessDenied for
    anyone else."""
    require_role(principal, *CARERS)
    user_id = principal.user_id
    if user_id is None:
        raise AccessDenied(Reason.ROLE_NOT_PERMITTED)
    return user_id
