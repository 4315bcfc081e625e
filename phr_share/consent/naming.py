"""Who may know who a patient is (their name and clock), decided from the same facts.

Whoever the decision point lets read some kind of the patient's now, for treatment or
in an emergency they declared, and whoever is in the patient's care or invited to it by
the patient: a care relationship opens no kind, but a clinician must know whom they
were asked to look after. Pure, like :func:`~phr_share.consent.decide.decide`.
"""

from __future__ import annotations

from datetime import datetime

from phr_share.consent.decide import decide
from phr_share.consent.model import CARERS, CLINICIANS, Decision, Facts, Request
from phr_share.models import CareStatus, Principal, Purpose, Reason, SegmentKind

__all__ = ["decide_name"]

# A request from the clinician waits for the patient: it names no one yet.
_NAMING_CARE = frozenset({CareStatus.ACTIVE, CareStatus.INVITED})


def decide_name(facts: Facts, principal: Principal, at: datetime) -> Decision:
    """Permit when ``principal`` may see who the patient of ``facts`` is at ``at``: the
    first read the decision point permits, else their care; never raises for a denial."""
    purposes = [Purpose.TREATMENT]
    if principal.role in CLINICIANS:
        purposes.append(Purpose.EMERGENCY)  # break-glass is a clinician's alone
    decisions = [
        decide(Request(principal, facts.patient_id, kind, purpose, at), facts)
        for purpose in purposes
        for kind in SegmentKind
    ]
    permit = next((d for d in decisions if d.permit), None)
    if permit is not None:
        return permit
    if principal.active and principal.role in CARERS and facts.care in _NAMING_CARE:
        return Decision(True, Reason.IN_CARE)
    return decisions[0]
