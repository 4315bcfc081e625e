"""Alerts: a home reading in the danger zone tells the people who look after the patient.

The patient is shown what to do at once (the web page that saved the readings); every
clinician whose live grant lets them read the patient's vital signs (the decision point
decides, as for a read), and every such caregiver the patient chose to tell, gets a
notice that stays until dismissed (and, with an e-mail address, a mail saying only
that a notice waits). A notice names the patient by id only: what the reading was is
read on the record page, through consent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from phr_share.ccda import Readings
from phr_share.codes import GLUCOSE, GLUCOSE_MMOL_BLOOD
from phr_share.consent import Principal, Purpose, Role
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import care as care_rows
from phr_share.db.queries import consent as consent_rows
from phr_share.models import SegmentKind
from phr_share.series.danger import DangerSign, danger_signs
from phr_share.series.points import DIASTOLIC, SYSTOLIC
from phr_share.sharing.access import authorize
from phr_share.sharing.notices import notify
from phr_share.sharing.services import Services

__all__ = ["readings_danger", "sound_alarms"]


def readings_danger(readings: Readings) -> list[DangerSign]:
    """The danger-zone signs of one sitting of home readings."""
    measured = [
        (SYSTOLIC, readings.systolic),
        (DIASTOLIC, readings.diastolic),
        (
            GLUCOSE
            if readings.glucose is None or readings.glucose.unit != "mmol/L"
            else GLUCOSE_MMOL_BLOOD,
            readings.glucose,
        ),
    ]
    return danger_signs((code, float(q.value), q.unit) for code, q in measured if q is not None)


def sound_alarms(svc: Services, patient_id: uuid.UUID, signs: Sequence[DangerSign]) -> int:
    """Notify every clinician the decision point lets read the patient's vital signs
    now, and every such caregiver the patient chose to tell; how many were told (none
    when there are no signs)."""
    if not signs:
        return 0
    now = svc.clock()
    kind = SegmentKind.PHYSICAL_SIGNS
    with svc.db.session() as session:
        grantees = consent_rows.grantees_of(session, patient_id)
        quiet = care_rows.quiet_carers(session, patient_id)
        told = []
        for user in account_rows.users_by_id(session, grantees):
            role = Role(user.role)
            if role is Role.PATIENT or user.id in quiet:
                continue
            reader = Principal.of_user(user.id, role, None, user.active)
            decision = authorize(session, reader, patient_id, [kind], Purpose.TREATMENT, now)
            if decision[kind].permit:
                told.append(user.id)
        notify(session, told, "danger", str(patient_id), now)
        return len(told)
