"""Continuous glucose on the page, in a real headless Chromium against the real local
stack: a patient who wears a sensor sees the ambulatory glucose profile and the
time-in-range bar on My data, with their words and table; a patient who measures by
finger-stick does not; the doctor sees them where the grant covers vital signs. Both
widths fit and pass axe-core. Screenshots go to ``test-artifacts/screenshots/``.
"""

# The fixtures come from the first browser module; pytest passes them by name.
# ruff: noqa: F811

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from phr_share.sharing import OPERATOR, find_account, ingest_document
from tests.cgm import sensor_document
from tests.integration.test_browser import (  # noqa: F401  (the fixtures)
    CHROMIUM,
    SHOTS,
    Site,
    _login,
    _shot,
    browser,
    site,
)
from tests.integration.test_browser_daily import (
    DESK,
    PHONE,
    _axe,
    _fits,
    _sharing_vitals_with_dr_kim,
    _sign_up,
    axe_source,  # noqa: F401  (a fixture)
)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)"
)


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280", "390"])
def test_a_sensor_wearer_sees_the_glucose_profile_and_time_in_range(
    site: Site, browser: object, axe_source: str, viewport: dict[str, int], tmp_path: Path
) -> None:
    expect = sync_api.expect
    width = viewport["width"]
    page, account = _sharing_vitals_with_dr_kim(browser, site, f"sensor{width}", viewport)
    assert account.patient_id is not None
    # Fifteen days of five-minute readings, uploaded as one document like any record.
    now = site.svc.clock()
    document = sensor_document(account.patient_id, now - timedelta(days=15), 15)
    ingest_document(site.svc, account.principal, document, account.patient_id)

    page.goto(f"{site.url}/me")
    sensor = page.locator("section.sensor")
    expect(sensor).to_be_visible()
    expect(sensor.locator("figure.agp[data-ready=true] canvas")).to_be_visible()
    bar = sensor.locator("figure.tir")
    for name in ["Very high", "High", "In range", "Low", "Very low"]:
        expect(bar.locator("li", has_text=name).first).to_be_visible()
    expect(sensor.locator("ul.tir-goals li").first).to_have_text(
        re.compile(r"^Time in range \d+% — goal: more than 70% \((met|not met)\)$")
    )
    # The profile drawn is the page's data: the median of each slot, 96 a day.
    medians = page.locator("figure.agp canvas").evaluate(
        "c => Chart.getChart(c).data.datasets.find((d) => d.label === 'Median').data.length"
    )
    assert medians == 96
    # Hovering 08:00 tells each percentile there, highest first, in mg/dL.
    canvas = page.locator("figure.agp canvas")
    box = canvas.bounding_box()
    assert box is not None
    at_eight = canvas.evaluate(
        "c => { const chart = Chart.getChart(c); return chart.scales.x.getPixelForValue(487.5); }"
    )
    canvas.hover(position={"x": at_eight, "y": box["height"] / 2})
    told = canvas.evaluate("c => Chart.getChart(c).tooltip.body.map((b) => b.lines.join(' '))")
    assert [line.split(":")[0] for line in told] == ["95%", "75%", "Median", "25%", "5%"]
    assert all(line.endswith(" mg/dL") for line in told)
    # Its text alternative: a row an hour.
    sensor.locator("details.agp-table summary").click()
    expect(sensor.locator("details.agp-table tbody tr")).to_have_count(24)
    expect(sensor.locator("details.agp-table tbody tr").first).to_contain_text("00:00")
    _fits(page)
    _shot(page, f"d7-sensor-my-data-{width}")
    sensor.screenshot(path=str(SHOTS / f"d7-sensor-part-{width}.png"))
    # axe needs the CSP bypassed: a context of its own.
    checked = _login(browser, site, f"sensor{width}", viewport=viewport, bypass_csp=True)
    checked.goto(f"{site.url}/me")
    assert _axe(checked, axe_source) == []

    # Dr Kim's grant covers vital signs: the record page draws them too.
    doctor = _login(browser, site, "dr.kim", viewport=viewport)
    doctor.goto(f"{site.url}/clinic/patients/{account.patient_id}")
    expect(doctor.locator("section.sensor figure.agp[data-ready=true] canvas")).to_be_visible()
    expect(doctor.locator("section.sensor ul.tir-goals")).to_contain_text("Time in range")
    _fits(doctor)
    _shot(doctor, f"d7-sensor-record-{width}")
    if width == DESK["width"] and shutil.which("pdftotext"):
        # The visit report the doctor downloads draws them too, with the same words.
        form = doctor.locator("form.report-form")
        with doctor.expect_download() as download:
            form.get_by_role("button", name="Download visit report (PDF)").click()
        pdf = tmp_path / "report.pdf"
        download.value.save_as(str(pdf))
        done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
        text = " ".join(done.stdout.decode().split())
        assert "Sensor blood sugar: the last 14 days" in text
        assert "Blood sugar by time of day (mg/dL)" in text
        assert re.search(r"\d+% In range \(70-180 mg/dL\)", text)
        assert re.search(r"Time in range \d+% — goal: more than 70% \((met|not met)\)", text)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(pdf), str(SHOTS / "d7-sensor-visit-report")],
            check=True,
        )


def test_without_sensor_readings_there_is_no_profile(site: Site, browser: object) -> None:
    expect = sync_api.expect
    page = _sign_up(browser, site, "finger.stick", viewport=DESK)
    page.get_by_role("navigation").get_by_role("link", name="Readings", exact=True).click()
    page.fill("input[name=glucose]", "132")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Readings saved")
    page.goto(f"{site.url}/me")
    expect(page.locator(".summary")).to_contain_text("Blood sugar (finger-stick)")
    expect(page.locator("section.sensor")).to_have_count(0)
    expect(page.locator(".sensor-short")).to_have_count(0)
    expect(page.locator("[data-agp]")).to_have_count(0)


def test_a_few_days_of_sensor_readings_say_what_the_profile_needs(
    site: Site, browser: object
) -> None:
    expect = sync_api.expect
    page = _sign_up(browser, site, "short.wear", viewport=DESK)
    account = find_account(site.svc, OPERATOR, username="short.wear")
    assert account.patient_id is not None
    now = site.svc.clock()
    document = sensor_document(account.patient_id, now - timedelta(days=5), 5)
    ingest_document(site.svc, account.principal, document, account.patient_id)
    page.goto(f"{site.url}/me")
    expect(page.locator("section.sensor")).to_have_count(0)
    expect(page.locator(".sensor-short")).to_contain_text("at least 14 days")
    expect(page.locator(".summary")).to_contain_text("Blood sugar (sensor)")
