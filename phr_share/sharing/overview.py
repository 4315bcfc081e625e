"""Everything a patient's sharing page shows, in one use case: who is in their care, the
grants live, waiting for an answer and past, who may read each kind as the decision
point says, their sensitivity levels, one-visit links and research release."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from phr_share.consent import LinkTerms
from phr_share.models import (
    GrantStatus,
    Principal,
    Role,
    SegmentKind,
    Sensitivity,
    parse_user_id,
    user_id_text,
)
from phr_share.sharing.access import decisions_for
from phr_share.sharing.accounts import display_names
from phr_share.sharing.care import CareView, care_of
from phr_share.sharing.caregivers import Caregiver, caregivers_of
from phr_share.sharing.grants import GrantHistory, grants_of, sensitivity_levels
from phr_share.sharing.guard import require_owner
from phr_share.sharing.links import links_of
from phr_share.sharing.release import released_kinds
from phr_share.sharing.services import Services

__all__ = ["SharingOverview", "sharing_overview"]


@dataclass(frozen=True, slots=True)
class SharingOverview:
    """A patient's sharing at one moment (``now``).

    ``care`` holds every clinician's care relationship (caregivers are in
    ``caregivers``), ``active_clinicians`` those in force; grants are ``live`` (active and
    not ended), ``pending`` (a delegation waiting for the patient) or ``past``;
    ``names`` maps principal ids to display names; ``by_kind`` names who in active care
    may read each kind but the personal one; ``releasable`` the kinds the routing policy
    ever releases, ``released`` those the patient chose."""

    patient_id: uuid.UUID
    now: datetime
    care: tuple[CareView, ...]
    active_clinicians: tuple[CareView, ...]
    caregivers: tuple[Caregiver, ...]
    names: Mapping[str, str]
    live: tuple[GrantHistory, ...]
    pending: tuple[GrantHistory, ...]
    past: tuple[GrantHistory, ...]
    by_kind: Mapping[SegmentKind, tuple[str, ...]]
    links: tuple[LinkTerms, ...]
    levels: Mapping[SegmentKind, Sensitivity]
    released: frozenset[SegmentKind]
    releasable: tuple[SegmentKind, ...]


def sharing_overview(svc: Services, patient: Principal) -> SharingOverview:
    """The patient's own sharing: care, grants, who may read what, levels, links and
    release. Nothing is read or audited; the patient themself only (AccessDenied)."""
    patient_id = require_owner(patient)
    care = care_of(svc, patient)
    grants = grants_of(svc, patient, patient_id)
    now = svc.clock()
    live = tuple(
        g for g in grants if g.terms.status is GrantStatus.ACTIVE and not g.terms.ended(now)
    )
    pending = tuple(g for g in grants if g.terms.status is GrantStatus.PENDING)
    past = tuple(g for g in grants if g not in live and g not in pending)
    names = _names(svc, patient, care, grants)
    active = [c for c in care if c.status == "active"]
    clinicians = tuple(c for c in care if c.clinician_role != Role.CAREGIVER)
    return SharingOverview(
        patient_id=patient_id,
        now=now,
        care=clinicians,
        active_clinicians=tuple(c for c in active if c.clinician_role != Role.CAREGIVER),
        caregivers=tuple(caregivers_of(svc, patient)),
        names=names,
        live=live,
        pending=pending,
        past=past,
        by_kind=_readers_by_kind(svc, patient, active, names),
        links=tuple(links_of(svc, patient)),
        levels=sensitivity_levels(svc, patient),
        released=frozenset(released_kinds(svc, patient, patient_id)),
        releasable=tuple(sorted(svc.routing.releasable)),
    )


def _names(
    svc: Services, patient: Principal, care: list[CareView], grants: list[GrantHistory]
) -> dict[str, str]:
    """Display names by principal id: those in care as the care list names them, every
    other grantee in one lookup."""
    names: dict[str, str] = {user_id_text(c.clinician_id): c.clinician_name for c in care}
    others = {parse_user_id(g.terms.grantee) for g in grants if g.terms.grantee not in names}
    assert None not in others  # grantees are accounts
    found = display_names(svc, patient, [u for u in others if u is not None])
    return names | {user_id_text(user): name for user, name in found.items()}


def _readers_by_kind(
    svc: Services, patient: Principal, active: list[CareView], names: Mapping[str, str]
) -> dict[SegmentKind, tuple[str, ...]]:
    """Who in active care may read each kind, as the decision point says (nothing is read
    or audited), by name in alphabetical order."""
    decisions = decisions_for(
        svc, patient, [Principal.of_user(c.clinician_id, Role(c.clinician_role)) for c in active]
    )
    return {
        kind: tuple(
            sorted(names[who] for who, per_kind in decisions.items() if per_kind[kind].permit)
        )
        for kind in SegmentKind
        if kind is not SegmentKind.PERSONAL
    }
