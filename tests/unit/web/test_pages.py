"""Every page through Flask's test client, with each journey and each denial."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from fhir.resources.R4B.bundle import Bundle
from flask import Flask

from phr_share.models import SegmentKind
from phr_share.sharing import (
    OPERATOR,
    AccessEvent,
    Services,
    access_history,
    check_proof,
    current_segments,
    declare_emergency,
    erase_patient,
    notifications,
    principal_of,
    segments_of,
    staff_accounts,
)
from phr_share.sharing.notices import notify
from phr_share.web import patient as patient_pages
from phr_share.web.presentation import filesize
from tests.conftest import DEMO_CCD, PATIENT, many_sections
from tests.unit.web.conftest import PASSWORD, Browser, People

PATIENT_PAGES = [
    "/me",
    "/me/upload",
    "/me/readings",
    "/me/sharing",
    "/me/history",
    "/me/erase",
    "/me/research-preview",
]
CLINIC_PAGES = ["/clinic", "/clinic/link"]


# The cell that names a stored document on My data.
DOCUMENT_CELL = '<td data-label="Document">'


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def charts_in(page: str) -> list[dict[str, object]]:
    """The chart series a page carries for its script (none: no charts on the page)."""
    found = re.search(r"data-series='([^']*)'", page)
    return json.loads(html.unescape(found.group(1)))["charts"] if found else []  # type: ignore[no-any-return]


def upload(browser: Browser, data: bytes, name: str = "ccd.xml"):  # type: ignore[no-untyped-def]
    return browser.post(
        "/me/upload",
        {"document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_sign_up_in_and_out(browser: Browser, people: People) -> None:
    response = browser.post(
        "/signup",
        {"username": "sam", "display_name": "Sam", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.headers["Location"] == "/me"
    assert "Sam" in text(browser.get("/me"))
    browser.post("/logout")
    assert browser.get("/me").headers["Location"].startswith("/login")
    browser.get("/signup")
    mismatch = browser.post(
        "/signup", {"username": "sam2", "password": PASSWORD, "confirm": PASSWORD + "x"}
    )
    assert mismatch.status_code == 422
    taken = browser.post("/signup", {"username": "sam", "password": PASSWORD, "confirm": PASSWORD})
    assert taken.status_code == 422
    assert "taken" in text(taken)
    assert browser.login("jordan", "wrong password").status_code == 401


def test_signing_out_ends_the_session_for_any_copy_of_its_cookie(
    app: Flask, browser: Browser, people: People
) -> None:
    browser.login("jordan")
    cookie = browser.client.get_cookie("phr_session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("phr_session", cookie.value, domain=cookie.domain)
    assert copy.get("/me").status_code == 200  # the copy works while the session lives
    browser.post("/logout")
    assert copy.get("/me").headers["Location"].startswith("/login")


def test_sign_out_everywhere_else_keeps_this_browser(
    app: Flask, browser: Browser, people: People
) -> None:
    laptop, phone = browser, Browser(app.test_client())
    laptop.login("jordan")
    assert "Only this browser is signed in" in text(laptop.get("/account/tokens"))
    phone.login("jordan")
    assert "signed in on 1 other browser." in text(laptop.get("/account/tokens"))
    ended = laptop.post("/account/sessions/others/end")
    assert ended.headers["Location"] == "/account/tokens"
    assert "Signed out of 1 other browser." in text(laptop.get("/account/tokens"))
    assert laptop.get("/me").status_code == 200
    assert phone.get("/me").headers["Location"].startswith("/login")


def test_login_is_throttled(browser: Browser, people: People) -> None:
    codes = [browser.login("jordan", f"wrong-{n}-password").status_code for n in range(6)]
    assert codes == [401] * 5 + [429]
    locked = browser.post("/login", {"username": "jordan", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


def test_pages_need_a_session(browser: Browser) -> None:
    for path in [*PATIENT_PAGES, *CLINIC_PAGES, "/research", "/admin", "/account/tokens"]:
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
    assert browser.get("/login?next=//evil.example/").status_code == 200
    assert "evil" not in text(browser.get("/login?next=//evil.example/"))


def test_roles_are_kept_apart(browser: Browser, people: People) -> None:
    browser.login("dr.kim")
    assert browser.get("/me").status_code == 403
    assert browser.get("/admin").status_code == 403
    assert browser.get("/research").status_code == 403
    assert browser.get("/clinic").status_code == 200
    browser.post("/logout")
    browser.login("jordan")
    for path in [*CLINIC_PAGES, "/admin", "/research"]:
        assert browser.get(path).status_code == 403, path
    for path in PATIENT_PAGES:
        assert browser.get(path).status_code == 200, path


def test_forms_need_the_csrf_token(browser: Browser, people: People) -> None:
    browser.login("jordan")
    response = browser.client.post("/me/care/invite", data={"username": "dr.kim"})
    assert response.status_code == 400
    forged = browser.client.post("/me/care/invite", data={"username": "dr.kim", "csrf_token": "x"})
    assert forged.status_code == 400
    assert "reload the page" in text(forged)


def test_security_headers_and_cookie(browser: Browser, people: People) -> None:
    response = browser.login("jordan")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    page = browser.get("/me")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script>" not in text(page)
    assert " onclick=" not in text(page)


def test_upload_stores_a_document_and_refuses_bad_ones(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    stored = upload(browser, DEMO_CCD.read_bytes())
    assert stored.status_code == 200
    page = text(stored)
    assert "Record stored" in page
    assert "in your private store, locked with your own key" in page
    assert "Swift" not in page
    assert 'data-kind="health-status"' in page
    assert "Health status" in page  # kinds as people read them
    count = len(segments_of(services, OPERATOR, PATIENT))
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    for bad in [b"not xml at all", hostile, b"<ClinicalDocument/>"]:
        refused = upload(browser, bad)
        assert refused.status_code == 422
        assert "This file was not stored" in text(refused)
    assert "root:" not in text(upload(browser, hostile))
    pdf = text(upload(browser, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "letter.pdf"))
    assert "this is a PDF, not a health record PHR Share can read" in pdf
    assert len(segments_of(services, OPERATOR, PATIENT)) == count
    assert upload(browser, b"", "empty.xml").status_code == 422


def test_an_upload_with_too_many_sections_is_refused_and_says_so(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    refused = upload(browser, many_sections(501))
    assert refused.status_code == 422
    assert "the document has 501 sections; at most 500 are accepted" in text(refused)
    assert segments_of(services, OPERATOR, PATIENT) == []


def test_an_oversized_upload_is_answered_413(app: Flask, browser: Browser, people: People) -> None:
    browser.login("jordan")
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(browser, b"<x>" + b"a" * 20_000 + b"</x>")
    assert response.status_code == 413
    assert "larger than the limit" in text(response)


def test_the_upload_form_states_its_limit_for_the_page_to_check(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    page = text(browser.get("/me/upload"))
    limit = services.settings.max_document_bytes
    assert f'data-max-bytes="{limit}"' in page
    assert f"Up to {filesize(limit)}." in page
    assert "<progress" in page


def test_readings_are_checked_per_field_then_saved(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    refused = browser.post("/me/readings", {"systolic": "400", "pain": "12", "mood": "ecstatic"})
    assert refused.status_code == 422
    page = text(refused)
    assert page.count('class="field-error"') >= 3
    assert 'value="400"' in page  # what was typed is kept
    assert segments_of(services, OPERATOR, PATIENT) == []
    saved = browser.post(
        "/me/readings",
        {
            "systolic": "132",
            "diastolic": "84",
            "heart_rate": "71",
            "glucose": "104",
            "weight": "81.5",
            "pain": "2",
            "mood": "good",
            "activity_minutes": "40",
            "note": "slept well",
        },
    )
    assert saved.status_code == 200
    assert "Readings saved" in text(saved)
    charts = charts_in(text(browser.get("/me")))
    assert [c["title"] for c in charts] == [
        "Blood pressure",
        "Heart rate",
        "Glucose",
        "Weight",
        "Pain",
        "Mood",
        "Physical activity",
    ]
    assert charts[0]["lines"][0]["points"][0]["v"] == 132.0
    pain, mood, activity = charts[4:]
    assert (pain["min"], pain["max"], pain["lines"][0]["points"][0]["v"]) == (0, 10, 2.0)
    assert mood["lines"][0]["points"][0]["v"] == 4.0  # good, on the five-point scale
    assert mood["labels"] == {
        "1": "very low",
        "2": "low",
        "3": "neutral",
        "4": "good",
        "5": "very good",
    }
    assert activity["lines"][0]["points"][0]["v"] == 40.0
    # Glucose entered in mmol/L joins the same chart, in mg/dL.
    browser.post(
        "/me/readings",
        {"glucose": "6.2", "glucose_unit": "mmol/L", "measured_at": "2026-01-05T08:00"},
    )
    page = text(browser.get("/me?chart=all"))  # January is before the last three months
    glucose = next(c for c in charts_in(page) if c["title"] == "Glucose")
    assert [line["unit"] for line in glucose["lines"]] == ["mg/dL"]
    assert sorted(p["v"] for p in glucose["lines"][0]["points"]) == [104.0, 111.7]
    assert '<strong aria-current="true">All</strong>' in page
    recent = charts_in(text(browser.get("/me")))  # by default the last three months
    glucose = next(c for c in recent if c["title"] == "Glucose")
    assert [p["v"] for p in glucose["lines"][0]["points"]] == [104.0]
    assert browser.get("/me?chart=forever").status_code == 422  # InvalidInput, said plainly


def test_my_data_lists_stored_documents_newest_first(
    browser: Browser, people: People, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser.login("jordan")
    assert "Nothing yet" in text(browser.get("/me"))
    upload(browser, DEMO_CCD.read_bytes())
    browser.post("/me/readings", {"heart_rate": "71"})
    browser.post("/me/readings", {"heart_rate": "72", "measured_at": "2026-01-05T08:00"})
    page = text(browser.get("/me"))
    # The home readings are one row however many there are; the records are listed.
    listed = re.findall(rf"{DOCUMENT_CELL}(Summary of care \(CCD\)|Home readings[^<]*)", page)
    assert listed == ["Home readings: 2 entries", "Summary of care (CCD)"]
    segments = segments_of(services, OPERATOR, PATIENT)
    assert "3 documents " in page
    assert f"kept in {len(segments)} separately locked parts" in page
    assert "Show all" not in page
    monkeypatch.setattr(patient_pages, "LISTED", 0)
    page = text(browser.get("/me"))
    listed = re.findall(rf"{DOCUMENT_CELL}(Summary of care \(CCD\)|Home readings[^<]*)", page)
    assert listed == ["Home readings: 2 entries"]
    assert "Show all 1 record<" in page
    everything = text(browser.get("/me?documents=all"))
    assert "Summary of care (CCD)" in everything
    assert "Show all" not in everything
    ccd = re.search(
        r'href="(/me/documents/(\d+)\.xml)"[^>]*>Download', everything.split("Summary of care")[1]
    )
    assert ccd is not None
    download = browser.get(ccd.group(1))
    assert download.mimetype == "application/xml"
    assert f'filename="phr-document-{ccd.group(2)}.xml"' in download.headers["Content-Disposition"]
    assert b"<ClinicalDocument" in download.data
    assert browser.get("/me/documents/999999.xml").status_code == 404


def test_an_updated_document_replaces_its_earlier_version_in_the_list(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    first = DEMO_CCD.read_bytes()
    upload(browser, first)
    # The clinic sends the summary again, updated: same set id, new document id and text.
    updated = (
        first.replace(b"Hives", b"Hives and wheezing")
        .replace(b'extension="DEMO-CCD-0001"', b'extension="DEMO-CCD-0002"')
        .replace(b'<versionNumber value="1"/>', b'<versionNumber value="2"/>')
    )
    assert updated.count(b"DEMO-CCD-0002") == 1
    upload(browser, updated)
    page = text(browser.get("/me"))
    assert "1 document (and 1 earlier version of them, kept) (" in page
    assert page.count(f"{DOCUMENT_CELL}Summary of care (CCD)") == 1
    assert "(version 2)" in page
    assert "replaced by a newer one" not in page
    everything = text(browser.get("/me?versions=all"))
    assert everything.count(f"{DOCUMENT_CELL}Summary of care (CCD)") == 2
    assert "(version 1, replaced by a newer one)" in everything
    assert "Show current versions only" in everything


def _share(patient: Browser, doctor: Browser, kinds: list[str]) -> str:
    """Invite, accept, grant: returns the doctor's record page path."""
    patient.post("/me/care/invite", {"username": "dr.kim"})
    page = text(doctor.get("/clinic"))
    relationship = re.search(r"/clinic/care/(\d+)/accept", page)
    assert relationship is not None
    doctor.post(f"/clinic/care/{relationship.group(1)}/accept")
    sharing = text(patient.get("/me/sharing"))
    grantee = re.search(r'<option value="([0-9a-f-]{36})">Dr.Kim', sharing)
    assert grantee is not None
    patient.post("/me/grants", {"grantee": grantee.group(1), "scope": "kinds", "kinds": kinds})
    return f"/clinic/patients/{PATIENT}"


def _upload_and_share(patient: Browser, doctor: Browser, kinds: list[str]) -> str:
    """Jordan uploads the demo CCD and shares these kinds with Dr Kim, both signed in:
    returns the doctor's record page path."""
    patient.login("jordan")
    upload(patient, DEMO_CCD.read_bytes())
    doctor.login("dr.kim")
    return _share(patient, doctor, kinds)


def _doctor_reads(services: Services, people: People) -> list[AccessEvent]:
    """The reads of Jordan's record by Dr Kim, as Jordan's access history lists them."""
    history = access_history(services, people.patient.principal, PATIENT)
    return [e for e in history if e.actor == people.doctor.principal.id]


def test_home_readings_reach_the_doctor_as_one_table_every_read_audited(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    patient, doctor = browser, other_browser
    patient.login("jordan")
    upload(patient, DEMO_CCD.read_bytes())
    for day, systolic in (("2026-01-05", "151"), ("2026-01-20", "139")):
        patient.post(
            "/me/readings",
            {"measured_at": f"{day}T08:00", "systolic": systolic, "diastolic": "90"},
        )
    mine = text(patient.get("/me"))
    assert "Your home readings as a table (2 sittings, newest first)" in mine
    sheet = patient.get("/me/readings.csv")
    assert sheet.mimetype == "text/csv"
    assert sheet.data.decode().splitlines()[:3] == [
        "measured_at_utc,measurement,loinc,value,unit",
        "2026-01-20T08:00:00+00:00,Systolic blood pressure,8480-6,139,mmHg",
        "2026-01-20T08:00:00+00:00,Diastolic blood pressure,8462-4,90,mmHg",
    ]
    doctor.login("dr.kim")
    page = text(doctor.get(_share(patient, doctor, ["physical-signs"])))
    assert "Home readings" in page
    # January's readings are long before the fixed clock's last 14 days: said, not zeros.
    assert "No blood pressure, blood sugar or weight readings in these 14 days." in page
    rows = re.findall(r"<tr><td>(\d+ Jan 2026), 08:00</td><td>(\d+/90 mmHg)[^<]*</td>", page)
    assert rows == [("20 Jan 2026", "139/90 mmHg"), ("5 Jan 2026", "151/90 mmHg")]
    sections = page.count('<article class="section')  # the uploaded record's vital signs
    assert (
        sections
        == sum(
            1 for r in current_segments(services, OPERATOR, PATIENT, {SegmentKind.PHYSICAL_SIGNS})
        )
        - 2
    )
    reads = _doctor_reads(services, people)
    # The table, charts and summary come from one read of the vital signs' series: the
    # home readings' segments are not read again.
    assert len(reads) == sections + 1
    assert [r.segment for r in reads].count("series:physical-signs") == 1


def test_a_doctor_charts_pain_and_mood_only_when_that_kind_is_named(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    patient, doctor = browser, other_browser
    patient.login("jordan")
    for day, pain, mood in (("2026-01-05", "6", "low"), ("2026-01-20", "3", "good")):
        patient.post(
            "/me/readings",
            {
                "measured_at": f"{day}T08:00",
                "systolic": "140",
                "diastolic": "88",
                "pain": pain,
                "mood": mood,
                "activity_minutes": "30",
            },
        )
    doctor.login("dr.kim")
    record = _share(patient, doctor, ["physical-signs", "lifestyle"])
    page = text(doctor.get(record))
    titles = [c["title"] for c in charts_in(page)]
    assert titles == ["Blood pressure", "Physical activity"]  # mood and pain are very restricted
    assert "<th>Activity</th>" in page  # in the home readings table, a row per sitting
    assert "<th>Pain</th>" not in page
    assert "<h3>Physical activity " not in page  # not a section per sitting besides
    grantee = re.search(r'<option value="([0-9a-f-]{36})">Dr.Kim', text(patient.get("/me/sharing")))
    assert grantee is not None
    narrative = {"grantee": grantee.group(1), "scope": "kinds", "kinds": ["patient-narrative"]}
    patient.post("/me/grants", narrative)
    page = text(doctor.get(record))
    charts = {c["title"]: c for c in charts_in(page)}
    assert list(charts) == ["Blood pressure", "Pain", "Mood", "Physical activity"]
    assert re.findall(r"<td>(\d / 10)</td><td>(\w+)</td><td>30 min</td>", page) == [
        ("3 / 10", "good"),
        ("6 / 10", "low"),
    ]
    assert "<h3>How I feel " not in page
    assert [p["v"] for p in charts["Pain"]["lines"][0]["points"]] == [6.0, 3.0]
    assert [p["v"] for p in charts["Mood"]["lines"][0]["points"]] == [2.0, 4.0]


def test_the_patient_is_told_of_notes_requests_and_emergencies_on_arrival(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    patient, doctor = browser, other_browser
    record = _upload_and_share(patient, doctor, ["physical-signs"])
    assert "new notification" not in text(patient.get("/me"))  # accepting an invitation: none
    doctor.post(f"{record}/notes", {"text": "Recheck in 2 weeks.", "type": "note"})
    doctor.post(f"{record}/partner", {"username": "dr.partner", "kinds": ["physical-signs"]})
    nurse = Browser(patient.client.application.test_client())
    nurse.login("nurse.lee")
    nurse.post("/clinic/care/request", {"patient_id": str(PATIENT)})
    declare_emergency(services, people.partner.principal, PATIENT, "found unconscious at home")
    arrival = text(patient.get("/me"))
    assert "4 new notifications:" in arrival
    assert "A clinician wrote to you on" in arrival
    assert 'href="/me#from-clinicians"' in arrival
    assert "A clinician asked to join your care" in arrival
    assert "A clinician asked to bring a partner into your care" in arrival
    assert "Emergency access to your record on" in arrival
    # Notices stay, however often the pages are opened, until dismissed.
    assert "4 new notifications:" in text(patient.get("/me"))
    assert "4 new notifications:" in text(patient.get("/me/history"))
    ids = [int(i) for i in re.findall(r'action="/notices/(\d+)/dismiss"', arrival)]
    assert len(ids) == 4
    gone = patient.post(f"/notices/{ids[0]}/dismiss", {"back": "/me"})
    assert gone.headers["Location"] == "/me"
    assert "3 new notifications:" in text(patient.get("/me"))
    # Another's notice is not mine to dismiss.
    assert doctor.post(f"/notices/{ids[1]}/dismiss").status_code == 404
    patient.post("/notices/dismiss", {"back": "https://elsewhere.example/"})
    assert "new notification" not in text(patient.get("/me"))
    topics = [n.topic for n in notifications(services, people.patient.principal)]
    assert sorted(topics) == ["break-glass", "care-request", "note", "partner-request"]
    with (
        pytest.raises(ValueError, match="unknown notice topic"),
        services.db.session() as session,
    ):
        notify(session, [people.patient.id], "gossip", "x", services.clock())


def test_doctor_sees_exactly_what_was_shared_and_writes_back(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    patient, doctor = browser, other_browser
    patient.login("jordan")
    upload(patient, DEMO_CCD.read_bytes())
    doctor.login("dr.kim")
    assert "No patient shares anything" in text(doctor.get("/clinic"))
    record = _share(patient, doctor, ["physical-signs"])
    assert "Jordan" in text(doctor.get("/clinic"))
    page = text(doctor.get(record))
    assert "Vital Signs" in page
    assert "<table>" in page
    assert "Allergies" not in page
    assert "Mental Status" not in page
    assert "&lt;section" not in page  # rendered, not raw XML
    assert charts_in(page)  # the shared vital signs, charted from their series
    reads = _doctor_reads(services, people)
    segments = [e for e in reads if not e.segment.startswith("series:")]
    assert len(segments) == len({e.segment for e in segments})
    assert len(segments) == page.count('<article class="section')
    assert [e.segment for e in reads if e not in segments] == ["series:physical-signs"]
    empty = doctor.post(f"{record}/notes", {"text": "  ", "type": "note"})
    assert empty.status_code == 302
    doctor.post(f"{record}/notes", {"text": "Reduce salt; recheck in 2 weeks.", "type": "note"})
    kinds = {r.kind for r in current_segments(services, OPERATOR, PATIENT)}
    assert SegmentKind.DOCTOR_NOTES in kinds
    dashboard = text(patient.get("/me"))
    assert "From your clinicians" in dashboard
    assert "Reduce salt" in dashboard
    assert "Note from a clinician" in dashboard  # listed among the stored documents
    history = text(patient.get("/me/history"))
    assert "Dr.Kim" in history
    # Each visit as a sentence: who, what, how often, when, and on what basis, in words.
    assert re.search(
        r"Dr\.Kim read your vital signs( \d+ times)? on \d+ \w+ 2026 at \d\d:\d\d,"
        r" under your sharing choice\.",
        history,
    )
    assert "grant:" not in history
    assert 'href="/me/history.fhir.json"' in history
    kept = patient.get("/me/history.fhir.json")
    assert kept.mimetype == "application/fhir+json"
    assert "attachment" in kept.headers["Content-Disposition"]
    bundle = Bundle.model_validate_json(kept.data)  # valid against the FHIR structure
    kinds = {entry.resource.get_resource_type() for entry in bundle.entry or []}
    assert kinds == {"Consent", "AuditEvent"}
    assert doctor.get("/me/history.fhir.json").status_code == 403
    preview = text(patient.get(f"/me/preview/{people.doctor.id}"))
    rows = re.findall(
        r'<tr class="(permit|deny)">\s*<td><span class="badge" data-kind="([a-z-]+)"', preview
    )
    kinds = {r.kind for r in current_segments(services, OPERATOR, PATIENT)}
    assert sorted(kind for _, kind in rows) == sorted(k.value for k in kinds)  # a row per kind
    assert {kind for decision, kind in rows if decision == "permit"} == {"physical-signs"}
    assert "not in any grant" in preview  # the reason in words
    grant_id = re.search(r"/me/grants/(\d+)/revoke", text(patient.get("/me/sharing")))
    assert grant_id is not None
    patient.post(f"/me/grants/{grant_id.group(1)}/revoke")
    assert "shares nothing with you" in text(doctor.get(record))
    assert "No patient shares anything" in text(doctor.get("/clinic"))


def test_a_doctor_outside_the_care_team_cannot_write(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("dr.partner")
    response = browser.post(f"/clinic/patients/{PATIENT}/notes", {"text": "hello"})
    assert response.status_code == 403
    assert segments_of(services, OPERATOR, PATIENT) == []


def test_delegation_needs_the_patient(
    browser: Browser, other_browser: Browser, app: Flask, people: People
) -> None:
    patient, doctor = browser, other_browser
    record = _upload_and_share(patient, doctor, ["physical-signs", "health-status"])
    doctor.post(f"{record}/partner", {"username": "dr.partner", "kinds": ["physical-signs"]})
    partner = Browser(app.test_client())
    partner.login("dr.partner")
    assert "shares nothing" in text(partner.get(record))
    sharing = text(patient.get("/me/sharing"))
    assert "Partners asking to join" in sharing
    pending = re.search(r"/me/delegations/(\d+)", sharing)
    assert pending is not None
    patient.post(f"/me/delegations/{pending.group(1)}", {"answer": "approve"})
    assert "Vital Signs" in text(partner.get(record))
    refused = doctor.post(f"{record}/partner", {"username": "dr.partner", "kinds": ["lifestyle"]})
    assert refused.status_code == 403


def test_one_visit_links(
    browser: Browser, other_browser: Browser, app: Flask, people: People
) -> None:
    patient, doctor = browser, other_browser
    patient.login("jordan")
    upload(patient, DEMO_CCD.read_bytes())
    patient.post("/me/links", {"doctor": "dr.kim", "kinds": ["lifestyle"], "hours": "48"})
    token = re.search(r"/clinic/link#(phr_[A-Za-z0-9_-]+)", text(patient.get("/me/sharing")))
    assert token is not None
    intruder = Browser(app.test_client())
    intruder.login("dr.partner")
    assert intruder.post("/clinic/link", {"token": token.group(1)}).status_code == 403
    doctor.login("dr.kim")
    assert doctor.get("/clinic/link").status_code == 200
    opened = doctor.post("/clinic/link", {"token": token.group(1)})
    assert opened.status_code == 200
    assert "Social History" in text(opened)
    again = doctor.post("/clinic/link", {"token": token.group(1)})
    assert again.status_code == 403
    assert "already used" in text(again)
    assert doctor.post("/clinic/link", {"token": "phr_nonsense"}).status_code == 404
    assert ">used<" in text(patient.get("/me/sharing"))
    # A link to vital signs shows home readings as the table the record page shows.
    patient.post("/me/readings", {"systolic": "128", "diastolic": "82"})
    patient.post("/me/links", {"doctor": "dr.kim", "kinds": ["physical-signs"], "hours": "48"})
    tokens = re.findall(r"/clinic/link#(phr_[A-Za-z0-9_-]+)", text(patient.get("/me/sharing")))
    vitals = text(doctor.post("/clinic/link", {"token": tokens[-1]}))
    assert "Home readings" in vitals
    assert "128/82 mmHg" in vitals
    assert "Vital Signs" in vitals  # the uploaded record's own section, as it is


def test_emergency_access_is_flagged_notified_and_reviewed(
    browser: Browser, other_browser: Browser, app: Flask, people: People
) -> None:
    patient, nurse = browser, other_browser
    patient.login("jordan")
    upload(patient, DEMO_CCD.read_bytes())
    patient.post("/logout")
    nurse.login("nurse.lee")
    record = f"/clinic/patients/{PATIENT}"
    stranger = text(nurse.get(record))
    assert "shares nothing" in stranger
    assert "Jordan" not in stranger  # the opaque id does not tell a stranger who it is
    assert f"Patient {str(PATIENT)[:8]}" in stranger
    assert "Ask to join their care" in stranger  # not forms that could only fail
    assert "Write to the patient" not in stranger
    assert "Ask a partner in" not in stranger
    short = nurse.post(f"{record}/emergency", {"reason": "urgent"})
    assert short.status_code == 422
    declared = nurse.post(f"{record}/emergency", {"reason": "found unconscious in clinic"})
    assert declared.headers["Location"].endswith("?emergency=1")
    page = text(nurse.get(declared.headers["Location"]))
    assert "Emergency access." in page
    assert "<h1>Jordan</h1>" in page  # declared: now the nurse must know whom they treat
    assert "Write to the patient" in page  # an emergency lets the nurse write back
    assert "Allergies" in page
    assert "Mental Status" not in page  # very restricted: never by break-glass
    login = patient.login("jordan")
    assert login.status_code == 302
    assert "new notification" in text(patient.get("/me"))
    history = text(patient.get("/me/history"))
    assert "EMERGENCY" in history
    assert "found unconscious in clinic" in history
    assert "Emergency access to your record on" in history
    assert "1 new notification:" in text(patient.get("/me/history"))  # until dismissed
    admin = Browser(app.test_client())
    admin.login("admin")
    overview = text(admin.get("/admin"))
    assert "found unconscious in clinic" in overview
    emergency = re.search(r"/admin/emergencies/(\d+)/review", overview)
    assert emergency is not None
    assert ">Nurse.Lee</td>" in overview  # the clinician by name, not by account id
    admin.post(f"/admin/emergencies/{emergency.group(1)}/review", {"outcome": "justified"})
    assert "Nothing waits for review" in text(admin.get("/admin"))


def test_the_admin_browses_the_audit_log_by_outcome_and_area(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    other_browser.login("jordan", "not the password")  # a failed sign-in: denied
    other_browser.login("jordan")
    upload(other_browser, DEMO_CCD.read_bytes())
    browser.login("admin")
    overview = text(browser.get("/admin"))
    assert 'href="/admin/audit"' in overview
    page = text(browser.get("/admin/audit"))
    assert "Chain intact" in page
    assert "<code>store:document:ingest</code>" in page
    assert "<code>auth:session:login</code>" in page
    denied = text(browser.get("/admin/audit?outcome=denied"))
    action = re.compile(r"<td><code>([a-z]+:[a-z]+:[a-z]+)</code></td>")
    assert action.findall(denied) == ["auth:session:login"]
    areas = action.findall(text(browser.get("/admin/audit?area=store")))
    assert areas
    assert all(a.startswith("store:") for a in areas)
    assert "jordan" not in denied.split('<table class="audit">')[1].lower()  # ids, never names
    assert "No entries match." in text(browser.get("/admin/audit?area=store&before=2"))
    for bad in ("outcome=maybe", "area=gossip", "before=x"):
        assert browser.get(f"/admin/audit?{bad}").status_code == 422
    assert other_browser.get("/admin/audit").status_code == 403


def test_admin_operations(browser: Browser, people: People, services: Services) -> None:
    browser.login("admin")
    page = text(browser.get("/admin"))
    assert page.count("✔ up") == 4
    assert "✔ off: PHR_SMTP_URL is not set" in page  # no server: no mail, and nothing wrong
    assert "Chain intact" in page
    rotated = browser.post("/admin/keys/rotate")
    assert rotated.status_code == 302
    assert "re-wrapped" in text(browser.get("/admin"))
    for role in ("patient", "wizard"):  # staff only; anything else is refused, not a crash
        wrong = browser.post("/admin/users", {"username": "x.y", "role": role})
        assert wrong.status_code == 422
        assert "role is one of: doctor, nurse, researcher, admin" in text(wrong)
    browser.post("/admin/users", {"username": "dr.new", "role": "doctor", "password": PASSWORD})
    other = Browser(browser.client.application.test_client())
    assert other.login("dr.new").status_code == 302
    assert ">dr.new</td>" in text(browser.get("/admin"))  # listed with the staff
    assert ">jordan</td>" not in text(browser.get("/admin"))  # patients are not
    # A doctor signs in with a second factor: until it is set up, only that page opens.
    assert other.get("/clinic").headers["Location"] == "/account/mfa"
    other.set_up_mfa()
    signed_in = other.get("/clinic")
    assert signed_in.status_code == 200
    new = next(
        a for a in staff_accounts(services, people.admin.principal) if a.username == "dr.new"
    )
    browser.post(f"/admin/users/{new.id}/disable")
    assert other.get("/clinic").headers["Location"].startswith("/login")  # signed out at once
    assert other.login("dr.new").status_code == 401
    assert "disabled" in text(browser.get("/admin"))
    refused = browser.post(f"/admin/users/{people.admin.id}/disable")
    assert refused.status_code == 302
    assert "cannot disable their own account" in text(browser.get("/admin"))
    assert principal_of(services, OPERATOR, people.admin.id).active
    doctor = Browser(browser.client.application.test_client())
    doctor.login("dr.kim")
    assert doctor.post(f"/admin/users/{new.id}/disable").status_code == 403


def test_research_release_choice_preview_and_catalogue(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    patient, researcher = browser, other_browser
    patient.login("jordan")
    patient.post("/me/readings", {"systolic": "128", "diastolic": "82"})
    assert "you release no kinds" in text(patient.get("/me/research-preview"))
    patient.post("/me/research", {"release": ["lifestyle"]})
    nothing_coded = text(patient.get("/me/research-preview"))
    assert "none of your segments of the kinds you release (Lifestyle)" in nothing_coded
    patient.post("/me/research", {"release": ["physical-signs"]})
    assert 'value="physical-signs" checked' in text(patient.get("/me/sharing"))
    preview = text(patient.get("/me/research-preview"))
    assert "8480-6" in preview
    assert "<td>Vital signs</td>" in preview
    assert str(PATIENT) not in preview
    researcher.login("lab")
    assert "No release has been published" in text(researcher.get("/research"))


def test_erasure_asks_first_then_shreds_and_closes_the_account(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    doctor = other_browser
    record = _upload_and_share(browser, doctor, ["physical-signs"])
    assert "Jordan" in text(doctor.get("/clinic"))
    assert browser.post("/me/erase", {"confirm": "yes"}).status_code == 422
    done = browser.post("/me/erase", {"confirm": "ERASE"})
    assert done.status_code == 200
    page = text(done)
    assert "Your data is erased" in page
    assert "stored cop" in page
    assert "deleted" in page
    assert "Sign out" not in page  # signed out: the last page the account sees
    assert browser.get("/me").status_code == 302  # to sign in
    # Signing in again says the account closed, in words; nothing else opens.
    browser.get("/login")
    closed = browser.post("/login", {"username": "jordan", "password": PASSWORD})
    assert closed.status_code == 401
    assert "closed when its data was erased" in text(closed)
    # The doctor's list no longer holds the patient; an old link says what happened.
    assert "Jordan" not in text(doctor.get("/clinic"))
    gone = doctor.get(record)
    assert gone.status_code in {403, 410}
    assert "Something went wrong" not in text(gone)
    # A deletion that failed half-way is finished by running it again.
    assert erase_patient(services, OPERATOR, PATIENT).keys_destroyed == 0


def test_the_password_is_changed_on_the_account_page(
    app: Flask, browser: Browser, other_browser: Browser, people: People
) -> None:
    browser.login("jordan")
    other_browser.login("jordan")
    new = "a much better passphrase"
    differ = browser.post(
        "/account/password", {"current": PASSWORD, "new": new, "confirm": new + "!"}
    )
    assert differ.status_code == 422
    assert "The two new passwords differ." in text(differ)
    wrong = browser.post(
        "/account/password", {"current": "not it at all", "new": new, "confirm": new}
    )
    assert wrong.status_code == 403
    assert "The current password is not right." in text(wrong)
    short = browser.post("/account/password", {"current": PASSWORD, "new": "x", "confirm": "x"})
    assert short.status_code == 422
    done = browser.post("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert done.status_code == 302
    assert "Password changed. 1 other browser signed out." in text(browser.get("/account/tokens"))
    assert other_browser.get("/me").headers["Location"].startswith("/login")
    assert Browser(app.test_client()).login("jordan", new).status_code == 302
    assert Browser(app.test_client()).login("jordan").status_code == 401
    again = {"new": new + "2", "confirm": new + "2"}
    for _ in range(5):  # guessing the current password is throttled like signing in
        browser.post("/account/password", {"current": "guess", **again})
    assert browser.post("/account/password", {"current": new, **again}).status_code == 429


def test_api_tokens_page(browser: Browser, people: People) -> None:
    browser.login("lab")
    issued = text(browser.post("/account/tokens", {"name": "laptop", "days": "30"}))
    token = re.search(r'id="new-token">(phr_[^<]+)<', issued)
    assert token is not None
    me = browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert me.get_json()["username"] == "lab"
    listing = text(browser.get("/account/tokens"))
    assert token.group(1) not in listing
    token_id = re.search(r"/account/tokens/(\d+)/revoke", listing)
    assert token_id is not None
    browser.post(f"/account/tokens/{token_id.group(1)}/revoke")
    again = browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert again.status_code == 401


def test_a_patient_downloads_proofs_of_their_entries_and_checks_them_with_the_admin_key(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    upload(browser, DEMO_CCD.read_bytes())
    history = text(browser.get("/me/history"))
    assert 'href="/me/history.proof.json"' in history
    kept = browser.get("/me/history.proof.json")
    assert (kept.mimetype, "attachment" in kept.headers["Content-Disposition"]) == (
        "application/json",
        True,
    )
    bundle = json.loads(kept.data)
    assert bundle["format"] == "phr-share-audit-proof/1"
    assert bundle["entries"]  # the sign-in and the upload, at least
    admin = Browser(app.test_client())
    admin.login("admin")
    overview = text(admin.get("/admin"))
    key = re.search(r'id="audit-public-key">([A-Za-z0-9+/=]+)<', overview)
    assert key is not None
    assert f"Latest signed head: <strong>{bundle['tree_head']['size']}</strong>" in overview
    assert check_proof(kept.data, key.group(1)).entries == len(bundle["entries"])
    assert admin.get("/me/history.proof.json").status_code == 403


def test_the_summary_card_says_the_figures_in_words_for_the_window_asked(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    empty = text(browser.get("/me"))
    assert "The last 14 days" in empty
    assert "No blood pressure, blood sugar or weight readings in these 14 days." in empty
    for systolic, diastolic, glucose in (("142", "91", "65"), ("126", "78", "150")):
        sent = {"systolic": systolic, "diastolic": diastolic, "glucose": glucose}
        assert browser.post("/me/readings", sent).status_code == 200
    page = html.unescape(text(browser.get("/me?days=30")))
    assert "The last 30 days" in page
    assert "Blood pressure at home" in page
    assert "2 readings on 1 day" in page
    assert "Average: 134/85 mmHg" in page  # 84.5, rounded half up for display only
    assert "At or above your target of 130/80: 50%" in page
    assert "Low (54-69 mg/dL): 50%" in page
    assert "Estimated A1c" not in page  # GMI needs readings on 10 days
    assert browser.get("/me?days=7").status_code == 422
