"""The pages a patient uses every day: their own record, local times, units as typed,
small forms that keep what was typed when refused, and erasure that ends cleanly."""

from __future__ import annotations

import html
import json
import re

from phr_share.sharing import find_account, notifications
from phr_share.sharing.accounts import USERNAME
from phr_share.sharing.services import Services
from tests.conftest import DEMO_CCD
from tests.unit.web.conftest import PASSWORD, Browser, People
from tests.unit.web.test_pages import _share, charts_in, text, upload


def test_weight_in_pounds_and_height_in_inches_are_saved(browser: Browser, people: People) -> None:
    browser.login("jordan")
    form = text(browser.get("/me/readings"))
    # The units a person reads, sent as the UCUM codes the validator takes.
    assert '<option value="[lb_av]">lb</option>' in form
    assert '<option value="[in_i]">in</option>' in form
    saved = browser.post(
        "/me/readings",
        {"weight": "185", "weight_unit": "[lb_av]", "height": "68", "height_unit": "[in_i]"},
    )
    assert saved.status_code == 200
    assert "Readings saved" in text(saved)
    # Spelled as the form once sent them, they are taken too.
    again = browser.post(
        "/me/readings", {"weight": "186", "weight_unit": "lb", "measured_at": "2026-01-05T08:00"}
    )
    assert again.status_code == 200
    page = text(browser.get("/me"))
    table = page.split('class="readings"')[1].split("</table>")[0]
    assert "185 lb" in table


def test_a_refused_unit_is_marked_beside_its_number(browser: Browser, people: People) -> None:
    browser.login("jordan")
    refused = browser.post("/me/readings", {"weight": "80", "weight_unit": "stone"})
    assert refused.status_code == 422
    page = text(refused)
    assert re.search(r'<span class="field-error" id="weight-error"[^>]*>the unit must be', page)
    assert 'value="80"' in page  # what was typed stays


def test_the_browser_and_the_server_check_the_same_ranges(browser: Browser, people: People) -> None:
    browser.login("jordan")
    page = text(browser.get("/me/readings"))
    systolic = re.search(r'<input name="systolic"[^>]*min="(\d+)" max="(\d+)"', page)
    assert systolic is not None
    assert systolic.groups() == ("50", "300")
    ranges = re.search(r'name="weight_unit" data-ranges="([^"]+)"', page)
    assert ranges is not None
    assert html.unescape(ranges.group(1)) == "kg=0.5:500;[lb_av]=1:1100"
    assert browser.post("/me/readings", {"systolic": "45", "diastolic": "30"}).status_code == 422


def test_mood_is_offered_in_words(browser: Browser, people: People) -> None:
    browser.login("jordan")
    page = text(browser.get("/me/readings"))
    assert '<option value="very-low">Very low</option>' in page
    assert ">very-low<" not in page


def test_the_patient_reads_their_own_record(browser: Browser, people: People) -> None:
    browser.login("jordan")
    upload(browser, DEMO_CCD.read_bytes())
    browser.post("/me/readings", {"heart_rate": "70", "note": "Felt dizzy after lunch"})
    page = text(browser.get("/me"))
    record = page.split('id="my-record"')[1].split("</section>")[0]
    titles = re.findall(r"<summary>([^<]+)</summary>", record)
    # What a patient looks for first comes first.
    assert titles[:4] == ["Problems", "Medications", "Allergies", "Results"]
    assert "Hives" in record  # the demo record's allergy reaction
    # The note typed with a reading is the patient's to read too.
    assert "Felt dizzy after lunch" in page


def test_times_are_shown_in_the_accounts_zone(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    browser.post("/me/readings", {"heart_rate": "70", "measured_at": "2026-01-05T08:00"})
    account = text(browser.get("/account/tokens"))
    assert "none chosen yet" in account
    saved = browser.post("/account/time-zone", {"time_zone": "Asia/Shanghai"})
    assert saved.status_code == 302
    assert find_account(services, people.patient.principal, username="jordan").time_zone == (
        "Asia/Shanghai"
    )
    page = text(browser.get("/me"))
    # Typed while in UTC, 08:00 there is 16:00 in Shanghai; no time says "UTC".
    assert "5 Jan 2026, 16:00" in page
    assert "UTC" not in page.split("<main")[1]
    # Typed now, a time without an offset is Shanghai's.
    browser.post("/me/readings", {"heart_rate": "71", "measured_at": "2026-01-06T07:30"})
    assert "6 Jan 2026, 07:30" in text(browser.get("/me"))
    bad = browser.post("/account/time-zone", {"time_zone": "../../etc/passwd"})
    assert bad.status_code == 422
    assert "IANA time zone" in text(bad)


def test_signing_in_takes_the_browsers_zone_once(
    browser: Browser, people: People, services: Services
) -> None:
    browser.get("/login")
    browser.post(
        "/login", {"username": "jordan", "password": PASSWORD, "time_zone": "Europe/Paris"}
    )
    assert find_account(services, people.patient.principal, username="jordan").time_zone == (
        "Europe/Paris"
    )
    browser.post("/logout")
    browser.get("/login")
    # Chosen once, kept: another browser's zone does not move it.
    browser.post(
        "/login", {"username": "jordan", "password": PASSWORD, "time_zone": "America/Chicago"}
    )
    assert find_account(services, people.patient.principal, username="jordan").time_zone == (
        "Europe/Paris"
    )


def test_a_mistake_on_a_small_form_is_said_on_its_page_with_what_was_typed(
    browser: Browser, people: People
) -> None:
    browser.login("jordan")
    browser.get("/me/sharing")
    refused = browser.post(
        "/me/care/invite",
        {"username": "nobody-here"},
        headers={"Referer": "http://localhost/me/sharing"},
    )
    assert refused.status_code == 302
    assert refused.headers["Location"] == "/me/sharing"
    page = text(browser.get("/me/sharing"))
    assert '<p class="flash error"' in page
    refill = re.search(r"data-refill='([^']+)'", page)
    assert refill is not None
    carried = json.loads(html.unescape(refill.group(1)))
    assert carried == {"action": "/me/care/invite", "fields": {"username": "nobody-here"}}
    # Said once: the next page is clean.
    assert "data-refill" not in text(browser.get("/me/sharing"))


def test_a_refused_form_never_carries_a_password_back(browser: Browser, people: People) -> None:
    browser.login("jordan")
    browser.get("/account/tokens")
    browser.post(
        "/account/tokens",
        {"name": "x", "days": "9999", "password": "secret-words"},
        headers={"Referer": "http://localhost/account/tokens"},
    )
    page = text(browser.get("/account/tokens"))
    refill = re.search(r"data-refill='([^']+)'", page)
    assert refill is not None
    fields = json.loads(html.unescape(refill.group(1)))["fields"]
    assert fields == {"name": "x", "days": "9999"}


def test_a_form_from_another_site_gets_the_plain_error_page(
    browser: Browser, people: People
) -> None:
    browser.login("jordan")
    refused = browser.post(
        "/me/care/invite",
        {"username": "nobody-here"},
        headers={"Referer": "https://elsewhere.example/me/sharing"},
    )
    assert refused.status_code == 422
    assert "nobody-here" not in text(refused)


def test_the_sign_up_pattern_is_the_servers_rule(browser: Browser) -> None:
    page = text(browser.get("/signup"))
    found = re.search(r'name="username"[^>]*pattern="([^"]+)"', page)
    assert found is not None
    browser_rule = re.compile(html.unescape(found.group(1)))
    samples = ["jordan", "j.o-r@d", "ab", "Jordan", "-jordan", "a" * 64, "a" * 65, "jo_rdan"]
    for sample in samples:
        assert bool(browser_rule.fullmatch(sample)) == bool(USERNAME.fullmatch(sample)), sample
    # A dash inside a class is escaped: browsers compile patterns with the v flag.
    assert "\\-]" in found.group(1)
    assert "underscore" not in page


def test_the_doctor_sets_targets_and_the_patient_sees_them_charted_and_flagged(
    browser: Browser, other_browser: Browser, people: People
) -> None:
    patient, doctor = browser, other_browser
    patient.login("jordan")
    patient.post("/me/readings", {"systolic": "138", "diastolic": "84", "glucose": "190"})
    doctor.login("dr.kim")
    record = _share(patient, doctor, ["physical-signs"])
    page = text(doctor.get(record))
    assert 'action="/clinic/patients/' in page
    assert 'name="systolic"' in page
    assert "The usual targets" in page
    saved = doctor.post(
        f"{record}/targets",
        {"systolic": "135", "diastolic": "85", "glucose_low": "80", "glucose_high": "200"},
    )
    assert saved.status_code == 302
    mine = text(patient.get("/me"))
    assert "blood pressure under 135/85 mmHg" in mine
    assert "Set by Dr.Kim on" in mine
    assert "A clinician set your targets on" in mine  # a notice, until dismissed
    charts = {c["title"]: c for c in charts_in(mine)}
    assert [t["at"] for t in charts["Blood pressure"]["targets"]] == [135, 85]
    assert charts["Glucose"]["band"]["low"] == 80
    assert charts["Glucose"]["band"]["high"] == 200
    table = mine.split('class="readings"')[1].split("</table>")[0]
    # 138/84 is at or above 135/85 (the systolic); 190 mg/dL is inside 80-200.
    assert "138/84 mmHg ▲ at or above target" in table
    assert "190 mg/dL" in table
    assert "190 mg/dL ▲" not in table
    refused = doctor.post(
        f"{record}/targets",
        {"systolic": "1350", "diastolic": "85", "glucose_low": "80", "glucose_high": "200"},
    )
    assert refused.status_code == 422


def test_a_reading_in_the_danger_zone_says_what_to_do_and_tells_the_doctor(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    patient, doctor = browser, other_browser
    patient.login("jordan")
    doctor.login("dr.kim")
    record = _share(patient, doctor, ["physical-signs"])
    # The nurse is in no care and has no grant: not told.
    saved = patient.post("/me/readings", {"systolic": "185", "diastolic": "125"})
    assert saved.status_code == 200
    page = text(saved)
    assert "Your reading needs attention now" in page
    assert "Your top blood pressure number is 180 or more." in page
    assert "Your bottom blood pressure number is 120 or more." in page
    assert "call 911 now" in page
    told = [n for n in notifications(services, people.doctor.principal) if n.topic == "danger"]
    assert len(told) == 1
    assert not [n for n in notifications(services, people.nurse.principal) if n.topic == "danger"]
    clinic = text(doctor.get("/clinic"))
    assert "home reading is in the danger zone" in clinic
    assert f'href="{record}"' in clinic
    # The notice holds no reading: the record page, through consent, does.
    assert "185" not in clinic
    # Only the top number high: only it is said.
    top = text(patient.post("/me/readings", {"systolic": "182", "diastolic": "95"}))
    assert "Your top blood pressure number is 180 or more." in top
    assert "bottom blood pressure number" not in top
    # A reading outside the danger zone is saved as usual, and tells no one more.
    calm = text(patient.post("/me/readings", {"systolic": "128", "diastolic": "82"}))
    assert "Readings saved" in calm
    assert (
        len([n for n in notifications(services, people.doctor.principal) if n.topic == "danger"])
        == 2
    )
