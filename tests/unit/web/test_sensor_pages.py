"""Sensor blood sugar on the pages: the profile and the time-in-range bar where the data
is continuous, and for a clinician only where their grant covers the vital signs."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from phr_share.models import SegmentKind
from phr_share.sharing import (
    Services,
    accept_care,
    grant_access,
    ingest_document,
    invite_clinician,
    patient_time_zone,
    revoke_grant,
    set_time_zone,
)
from tests.cgm import sensor_document
from tests.conftest import PATIENT
from tests.unit.web.conftest import Browser, People


def profile_in(page: str) -> dict[str, object] | None:
    """The profile data a page carries for its script (None: no profile drawn)."""
    found = re.search(r"data-agp='([^']*)'", page)
    return json.loads(html.unescape(found.group(1))) if found else None


def wear_a_sensor(services: Services, people: People, days: int) -> None:
    start = services.clock() - timedelta(days=days)
    document = sensor_document(PATIENT, start, days)
    ingest_document(services, people.patient.principal, document, PATIENT)


def test_the_patient_sees_the_profile_bar_and_goals(
    browser: Browser, people: People, services: Services
) -> None:
    wear_a_sensor(services, people, 15)
    browser.login("jordan")
    page = browser.get("/me").get_data(as_text=True)
    profile = profile_in(page)
    assert profile is not None
    assert len(profile["profile"]) == 96  # type: ignore[arg-type]
    assert "Time in range" in page
    assert "— goal: more than 70%" in page
    assert "The blood sugar profile as a table (each hour)" in page
    assert page.count("<td>23:00</td>") == 1  # a row an hour
    # Readings every five minutes are no sittings: no table of thousands of rows.
    assert "Your home readings as a table" not in page
    # 30 days of a 15-day wear is too little: words instead of a drawing.
    longer = browser.get("/me?days=30").get_data(as_text=True)
    assert profile_in(longer) is None
    assert "sensor readings on at least 14 days, covering at least 70% of the time" in longer


def test_the_clinician_sees_them_only_under_a_grant_of_vital_signs(
    browser: Browser, people: People, services: Services
) -> None:
    wear_a_sensor(services, people, 15)
    patient, doctor = people.patient.principal, people.doctor
    accept_care(services, doctor.principal, invite_clinician(services, patient, doctor.id))
    grant = grant_access(services, patient, doctor.id, {SegmentKind.HEALTH_STATUS})
    browser.login("dr.kim")
    record = f"/clinic/patients/{PATIENT}"
    page = browser.get(record).get_data(as_text=True)
    assert profile_in(page) is None
    assert "Time in range" not in page
    assert "sensor-short" not in page
    revoke_grant(services, patient, grant)
    grant_access(services, patient, doctor.id, {SegmentKind.PHYSICAL_SIGNS})
    page = browser.get(record).get_data(as_text=True)
    assert profile_in(page) is not None
    assert "Time in range" in page


def test_the_clinician_reads_the_profile_on_the_patients_clock(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    wear_a_sensor(services, people, 15)
    patient, doctor = people.patient.principal, people.doctor
    set_time_zone(services, patient, "Asia/Tokyo")
    accept_care(services, doctor.principal, invite_clinician(services, patient, doctor.id))
    grant_access(services, patient, doctor.id, {SegmentKind.PHYSICAL_SIGNS})
    browser.login("jordan")
    own = browser.get("/me").get_data(as_text=True)
    other_browser.login("dr.kim")  # an account in UTC
    record = other_browser.get(f"/clinic/patients/{PATIENT}").get_data(as_text=True)
    # The same slots of the same day: 00:00 is midnight in Tokyo for both.
    assert profile_in(record) == profile_in(own) is not None
    assert "Times of day are on the patient's clock (Asia/Tokyo)." in record
    assert "patient's clock" not in own
    # Only a reader let in learns the patient's zone.
    assert patient_time_zone(services, doctor.principal, PATIENT) == ZoneInfo("Asia/Tokyo")
    assert patient_time_zone(services, people.partner.principal, PATIENT) is None
