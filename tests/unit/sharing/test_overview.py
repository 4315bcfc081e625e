"""The sharing overview: grants told apart, names resolved, who may read each kind."""

from __future__ import annotations

import pytest

from phr_share.errors import AccessDenied
from phr_share.models import GrantStatus, Role, SegmentKind
from phr_share.sharing import (
    OPERATOR,
    Services,
    accept_care,
    create_user,
    grant_access,
    invite_clinician,
    revoke_grant,
    sharing_overview,
)
from tests.conftest import PATIENT


def test_the_overview_tells_live_grants_from_past_ones_and_names_the_readers(
    services: Services,
) -> None:
    patient = create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT)
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR, display_name="Dr Alex Kim")
    nurse = create_user(services, OPERATOR, "n.lee", Role.NURSE, display_name="Sam Lee")
    me = patient.principal
    for clinician in (doctor, nurse):
        accept_care(services, clinician.principal, invite_clinician(services, me, clinician.id))
    kept = grant_access(services, me, nurse.id, {SegmentKind.PHYSICAL_SIGNS})
    ended = grant_access(services, me, doctor.id, {SegmentKind.PHYSICAL_SIGNS})
    revoke_grant(services, me, ended)

    found = sharing_overview(services, me)

    assert found.patient_id == PATIENT
    assert [g.terms.id for g in found.live] == [kept]
    assert [(g.terms.id, g.terms.status) for g in found.past] == [(ended, GrantStatus.REVOKED)]
    assert found.pending == ()
    assert {found.names[g.terms.grantee] for g in (*found.live, *found.past)} == {
        "Dr Alex Kim",
        "Sam Lee",
    }
    assert found.by_kind[SegmentKind.PHYSICAL_SIGNS] == ("Sam Lee",)
    assert SegmentKind.PERSONAL not in found.by_kind
    assert {c.clinician_name for c in found.active_clinicians} == {"Dr Alex Kim", "Sam Lee"}
    assert found.caregivers == ()


def test_only_the_patient_themself_sees_their_overview(services: Services) -> None:
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR)
    with pytest.raises(AccessDenied):
        sharing_overview(services, doctor.principal)
