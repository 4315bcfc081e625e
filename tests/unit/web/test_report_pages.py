"""The visit report's downloads: from My data and from the record page, a PDF with a
name that says nothing about the patient, kept out of caches, told in the history."""

from __future__ import annotations

import re

from tests.conftest import PATIENT
from tests.unit.web.conftest import Browser, People
from tests.unit.web.test_pages import _share, text


def _is_report(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="visit-report-\d{4}-\d{2}-\d{2}\.pdf"', disposition)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_patient_downloads_their_report_from_my_data(browser: Browser, people: People) -> None:
    browser.login("jordan")
    page = text(browser.get("/me"))
    assert 'action="/me/report.pdf"' in page
    assert "Download visit report (PDF)" in page
    assert '<option value="90" selected>90 days</option>' in page
    _is_report(browser.get("/me/report.pdf?days=30"))
    _is_report(browser.get("/me/report.pdf"))  # 90 days unless asked
    refused = browser.get("/me/report.pdf?days=7")
    assert refused.status_code == 422
    assert "the report covers 30, 90, 180 or 365 days" in text(refused)


def test_a_clinician_downloads_it_from_the_record_page_and_the_patient_is_told(
    browser: Browser, other_browser: Browser, people: People
) -> None:
    patient, doctor = browser, other_browser
    patient.login("jordan")
    doctor.login("dr.kim")
    # Before anything is shared, the report is refused like the record.
    assert doctor.get(f"/clinic/patients/{PATIENT}/report.pdf").status_code == 403
    record = _share(patient, doctor, ["physical-signs"])
    page = text(doctor.get(record))
    assert f'action="/clinic/patients/{PATIENT}/report.pdf"' in page
    _is_report(doctor.get(f"/clinic/patients/{PATIENT}/report.pdf?days=180"))
    history = text(patient.get("/me/history"))
    assert re.search(
        r"Dr\.? ?Kim[^<]* downloaded a visit report of the last 180 days on [^<]*, under your "
        r"sharing choice\.",
        history,
    ), history
    assert "asked for a visit report of the last 90 days" in history
