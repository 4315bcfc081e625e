"""Helpers the pages and the API share: parsing kinds, chart series, the sharing state."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from phr_share import sharing
from phr_share.ccda.narrative import Measurement
from phr_share.consent import Facts, GrantStatus, Principal, Role, Sensitivity
from phr_share.errors import InvalidInput
from phr_share.models import SegmentKind
from phr_share.sharing.clinical import CHARTED

__all__ = ["kinds_from", "series_json", "sharing_state"]

# Which series go on which chart, in the order a person reads them.
CHARTS = (
    ("Blood pressure", "mmHg", ("8480-6", "8462-4")),
    ("Heart rate", "/min", ("8867-4",)),
    ("Glucose", "mg/dL", ("2339-0", "2345-7")),
    ("Weight", "kg", ("29463-7",)),
)


def kinds_from(values: Iterable[str]) -> set[SegmentKind]:
    """Segment kinds from form or JSON values; InvalidInput for an unknown one."""
    try:
        return {SegmentKind(v) for v in values if v}
    except ValueError:
        raise InvalidInput("unknown segment kind") from None


def series_json(series: dict[str, list[Measurement]]) -> dict[str, Any]:
    """The charts' data: one chart per measure, points as ISO time and value."""
    charts = []
    for title, unit, codes in CHARTS:
        lines = [
            {
                "label": CHARTED[code],
                "code": code,
                "unit": series[code][0].unit if series.get(code) else unit,
                "points": [{"t": p.at.isoformat(), "v": p.value} for p in series.get(code, [])],
            }
            for code in codes
            if series.get(code)
        ]
        if lines:
            charts.append({"title": title, "unit": unit, "lines": lines})
    return {"charts": charts}


def sharing_state(svc: sharing.Services, patient: Principal) -> dict[str, Any]:
    """Everything the sharing page shows for one patient."""
    assert patient.patient_id is not None
    care = sharing.care_of(svc, patient)
    names = {f"user:{c.clinician_id}": c.clinician_name for c in care}
    grants = sharing.grants_of(svc, patient.patient_id)
    now = svc.clock()
    live = [g for g in grants if g.terms.status is GrantStatus.ACTIVE and not g.terms.ended(now)]
    pending = [g for g in grants if g.terms.status is GrantStatus.PENDING]
    past = [g for g in grants if g not in live and g not in pending]
    for g in grants:
        if g.terms.grantee not in names:
            user = uuid.UUID(g.terms.grantee.removeprefix("user:"))
            names[g.terms.grantee] = sharing.find_account(svc, user_id=user).display_name
    facts = Facts(patient.patient_id, overrides=sharing.sensitivity_of(svc, patient.patient_id))
    levels = {kind: facts.sensitivity(kind) for kind in SegmentKind}
    active = [c for c in care if c.status == "active"]
    # Who may read each kind, as the decision point says (nothing is read or audited).
    decisions = sharing.decisions_for(
        svc,
        patient.patient_id,
        [Principal(f"user:{c.clinician_id}", Role(c.clinician_role)) for c in active],
    )
    by_kind = {
        kind: sorted(names[who] for who, per_kind in decisions.items() if per_kind[kind].permit)
        for kind in SegmentKind
        if kind is not SegmentKind.PERSONAL
    }
    return {
        "by_kind": by_kind,
        "care": care,
        "active_clinicians": active,
        "names": names,
        "live_grants": live,
        "pending_grants": pending,
        "past_grants": past,
        "links": sharing.links_of(svc, patient.patient_id),
        "levels": levels,
        "levels_all": list(Sensitivity),
        "released": sharing.released_kinds(svc, patient.patient_id),
        "releasable": sorted(svc.routing.releasable),
        "now": now,
    }
