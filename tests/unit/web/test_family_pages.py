"""The caregiver's pages and the patient's "Family and caregivers" box, through the app."""

from __future__ import annotations

import re

from phr_share.sharing import Services, caregivers_of
from tests.conftest import DEMO_CCD, PATIENT
from tests.unit.web.conftest import Browser, People

PASSWORD = "a long caregiver password"


def _sign_up_caregiver(browser: Browser, username: str = "sam.child") -> str:
    browser.get("/signup")
    response = browser.post(
        "/signup",
        {
            "username": username,
            "display_name": "Sam",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "account": "caregiver",
        },
    )
    assert response.headers["Location"].endswith("/family")
    return browser.get("/family").get_data(as_text=True)


def test_a_caregiver_is_asked_in_follows_and_is_removed(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    carer, patient = browser, other_browser
    page = _sign_up_caregiver(carer)
    assert "Nobody has asked you in yet." in page
    assert "<strong>sam.child</strong>" in page
    assert "People I look after" in page  # the menu

    patient.login("jordan")
    patient.post("/me/upload", {"document": (DEMO_CCD.open("rb"), "ccd.xml")})
    sharing = patient.get("/me/sharing").get_data(as_text=True)
    assert "Family and caregivers" in sharing
    assert "Ask them in" in sharing
    # A mistake stays on the sharing page, with the reason.
    wrong = patient.post(
        "/me/caregivers",
        {"username": "dr.kim", "kinds": "physical-signs"},
        headers={"Referer": "http://localhost/me/sharing"},
    )
    assert wrong.status_code in (302, 303, 404)
    patient.post(
        "/me/caregivers", {"username": "sam.child", "kinds": "health-status", "danger": "on"}
    )
    [shown] = caregivers_of(services, people.patient.principal)
    sharing = patient.get("/me/sharing").get_data(as_text=True)
    assert "Sam" in sharing
    assert "Health status" in sharing
    assert "told at once" in sharing

    page = carer.get("/family").get_data(as_text=True)
    assert "Jordan" in page
    assert "Someone asked you to help look after them" in page
    record = carer.get(f"/family/patients/{PATIENT}").get_data(as_text=True)
    assert "Jordan" in record
    assert "Also shared with you" in record
    assert "Write to the patient" not in record
    assert "Emergency access" not in record
    # The clinician pages stay closed to a caregiver.
    assert carer.get(f"/clinic/patients/{PATIENT}").status_code == 403

    # The patient sees the caregiver's look in the access history, by name.
    history = patient.get("/me/history").get_data(as_text=True)
    assert re.search(r"Sam read your health status", history)

    patient.post(f"/me/caregivers/{shown.relationship_id}/danger", {})
    assert not caregivers_of(services, people.patient.principal)[0].danger_notices
    patient.post(f"/me/caregivers/{shown.relationship_id}/danger", {"danger": "on"})
    assert caregivers_of(services, people.patient.principal)[0].danger_notices

    patient.post(f"/me/care/{shown.relationship_id}/end")
    assert caregivers_of(services, people.patient.principal) == []
    record = carer.get(f"/family/patients/{PATIENT}").get_data(as_text=True)
    assert "shares nothing with you" in record
    assert "Jordan" not in record
