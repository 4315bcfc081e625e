"""The decision point: every read of a patient's segment is decided here, and only here.

``decide`` is pure (no clock, no database): the caller passes the time and the facts.
Default deny: a read is permitted only by the patient owning the data, a grant that
covers it, a fresh one-visit link, a declared emergency (the last two for clinicians
only: a caregiver reads by the patient's grants alone), the patient's research
release (for the release router alone), or the kinds that carry measurements for the
system recomputing the patient's own series.
"""

from __future__ import annotations

from collections.abc import Iterable

from phr_share.consent.model import (
    CLINICIANS,
    Decision,
    Facts,
    GrantStatus,
    GrantTerms,
    LinkTerms,
    Purpose,
    Reason,
    Request,
    Role,
    Sensitivity,
)
from phr_share.models import SERIES_KINDS, SERIES_REBUILDER, SegmentKind

__all__ = ["decide"]

# When no grant permits, the denial names the grant that came closest: the most
# specific reason wins, so a patient sees "kind excepted", not "no grant".
_DENIAL_RANK = (
    Reason.KIND_EXCEPTED,
    Reason.RESTRICTED_KIND,
    Reason.VERY_RESTRICTED_KIND,
    Reason.KIND_NOT_GRANTED,
    Reason.PURPOSE_MISMATCH,
    Reason.GRANT_EXPIRED,
    Reason.GRANT_NOT_YET_VALID,
    Reason.GRANT_PENDING,
    Reason.GRANT_REVOKED,
    Reason.GRANT_REFUSED,
    Reason.BREAK_GLASS_EXPIRED,
    Reason.NO_GRANT,
)


def decide(request: Request, facts: Facts) -> Decision:
    """Permit or deny one read, with the reason code; never raises for a denial."""
    principal = request.principal
    if facts.patient_id != request.patient_id:
        raise ValueError("facts are about another patient")
    if not principal.active:
        return Decision(False, Reason.ACCOUNT_DISABLED)
    if principal.role is Role.PATIENT:
        if principal.patient_id == request.patient_id:
            return Decision(True, Reason.OWNER)
        return Decision(False, Reason.NO_GRANT)
    if principal.role is Role.SYSTEM:
        return _system(request, facts)
    if principal.role is Role.CAREGIVER:
        return _caregiver(request, facts)
    if principal.role not in CLINICIANS:
        return Decision(False, Reason.ROLE_NOT_PERMITTED)
    if request.purpose in (Purpose.RESEARCH, Purpose.MAINTENANCE):
        return Decision(False, Reason.PURPOSE_MISMATCH)
    if request.link is not None:
        return _link(request, request.link)
    return _clinician(request, facts)


def _system(request: Request, facts: Facts) -> Decision:
    """The router reads what the patient released, and their header to scrub it; the
    series rebuild reads the kinds that carry measurements, and nothing else."""
    if request.purpose is Purpose.MAINTENANCE:
        if request.principal.id != SERIES_REBUILDER:
            return Decision(False, Reason.ROLE_NOT_PERMITTED)
        if request.kind in SERIES_KINDS:
            return Decision(True, Reason.SERIES_REBUILD)
        return Decision(False, Reason.KIND_NOT_GRANTED)
    if request.principal.id == SERIES_REBUILDER:  # it reads for nothing else
        return Decision(False, Reason.ROLE_NOT_PERMITTED)
    if request.purpose is not Purpose.RESEARCH:
        return Decision(False, Reason.ROLE_NOT_PERMITTED)
    if request.kind in facts.released:
        return Decision(True, Reason.RESEARCH_RELEASE)
    if request.kind is SegmentKind.PERSONAL and facts.released:
        # Read only to know which identifiers to remove; it is never published.
        return Decision(True, Reason.DEID_CONTEXT)
    return Decision(False, Reason.NOT_RELEASED)


def _link(request: Request, link: LinkTerms) -> Decision:
    if link.doctor != request.principal.id or link.patient_id != request.patient_id:
        return Decision(False, Reason.LINK_OTHER_GRANTEE)
    if link.revoked_at is not None:
        return Decision(False, Reason.LINK_REVOKED)
    if link.used_at is not None:
        return Decision(False, Reason.LINK_USED)
    if request.at >= link.expires:
        return Decision(False, Reason.LINK_EXPIRED)
    if request.kind not in link.kinds:
        return Decision(False, Reason.KIND_NOT_GRANTED)
    return Decision(True, Reason.SHARE_LINK, f"link:{link.id}")


def _caregiver(request: Request, facts: Facts) -> Decision:
    """Family reads for the patient's care by grant: no emergency, no link, no research."""
    if request.link is not None or request.purpose is not Purpose.TREATMENT:
        return Decision(False, Reason.ROLE_NOT_PERMITTED)
    return _by_grant(request, facts, [Reason.NO_GRANT])


def _clinician(request: Request, facts: Facts) -> Decision:
    denials = [Reason.NO_GRANT]
    by_grant = _by_grant(request, facts, denials)
    if by_grant.permit:
        return by_grant
    if request.purpose is Purpose.EMERGENCY:
        emergency = _emergency(request, facts)
        if emergency.permit:
            return emergency
        denials.append(emergency.reason)
    return Decision(False, _closest(denials))


def _by_grant(request: Request, facts: Facts, denials: list[Reason]) -> Decision:
    """The first of the principal's grants that permits the read; else a denial with
    the closest reason, each grant's reason added to ``denials``."""
    mine = [
        g
        for g in facts.grants
        if g.grantee == request.principal.id and g.patient_id == request.patient_id
    ]
    for grant in sorted(mine, key=lambda g: g.id):
        reason = _grant_denial(request, facts, grant)
        if reason is None:
            return Decision(True, Reason.GRANT, f"grant:{grant.id}")
        denials.append(reason)
    return Decision(False, _closest(denials))


def _grant_denial(request: Request, facts: Facts, grant: GrantTerms) -> Reason | None:
    """None when ``grant`` permits the read, else why it does not."""
    if grant.status is not GrantStatus.ACTIVE:
        return {
            GrantStatus.PENDING: Reason.GRANT_PENDING,
            GrantStatus.REVOKED: Reason.GRANT_REVOKED,
            GrantStatus.REFUSED: Reason.GRANT_REFUSED,
        }[grant.status]
    if not grant.started(request.at):
        return Reason.GRANT_NOT_YET_VALID
    if grant.ended(request.at):
        return Reason.GRANT_EXPIRED
    if grant.purpose is not request.purpose:
        return Reason.PURPOSE_MISMATCH
    if request.kind in grant.except_kinds:
        return Reason.KIND_EXCEPTED
    if grant.kinds is not None:
        return None if request.kind in grant.kinds else Reason.KIND_NOT_GRANTED
    level = facts.sensitivity(request.kind)
    if level is Sensitivity.NORMAL:
        return None
    return (
        Reason.RESTRICTED_KIND if level is Sensitivity.RESTRICTED else Reason.VERY_RESTRICTED_KIND
    )


def _emergency(request: Request, facts: Facts) -> Decision:
    mine = [
        e
        for e in facts.emergencies
        if e.clinician == request.principal.id and e.patient_id == request.patient_id
    ]
    if not mine:
        return Decision(False, Reason.NO_GRANT)
    live = [e for e in mine if e.started <= request.at < e.until]
    if not live:
        return Decision(False, Reason.BREAK_GLASS_EXPIRED)
    if facts.sensitivity(request.kind) is Sensitivity.VERY_RESTRICTED:
        return Decision(False, Reason.VERY_RESTRICTED_KIND)
    return Decision(True, Reason.BREAK_GLASS, f"break-glass:{max(e.id for e in live)}")


def _closest(reasons: Iterable[Reason]) -> Reason:
    return min(reasons, key=_DENIAL_RANK.index)
