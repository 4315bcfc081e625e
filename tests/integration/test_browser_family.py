"""A caregiver in a real headless Chromium against the real local stack: signed up as
one, asked in by the patient from the Sharing page, told at once of a dangerous reading
(without its value), reading only what was ticked, and removed by the patient in one
click; their pages fit a phone and pass axe-core. Screenshots go to
``test-artifacts/screenshots/``.
"""

# The fixtures come from the browser modules; pytest passes them by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from tests.integration.test_browser import (  # noqa: F401  (the fixtures)
    CHROMIUM,
    PASSWORD,
    SHOTS,
    Site,
    _shot,
    browser,
    site,
)
from tests.integration.test_browser_daily import (  # noqa: F401  (the fixtures)
    DESK,
    PHONE,
    _axe,
    _fits,
    _sign_up,
    axe_source,
)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)"
)


def _sign_up_caregiver(browser: object, site: Site, username: str, **context: object):  # type: ignore[no-untyped-def]
    page = browser.new_context(**context).new_page()  # type: ignore[attr-defined]
    page.goto(f"{site.url}/signup")
    page.get_by_label("following someone I look after").check()
    page.fill("input[name=username]", username)
    page.fill("input[name=display_name]", username.title())
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    _shot(page, f"f0-caregiver-sign-up-{username}")
    page.click("main button[type=submit]")
    sync_api.expect(page.locator("h1")).to_have_text("People I look after")
    return page


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280", "390"])
def test_a_caregiver_follows_the_readings_and_is_removed_in_one_click(
    site: Site, browser: object, axe_source: str, viewport: dict[str, int]
) -> None:
    expect = sync_api.expect
    width = viewport["width"]
    carer = _sign_up_caregiver(browser, site, f"carer{width}", viewport=viewport, bypass_csp=True)
    expect(carer.locator("main")).to_contain_text(f"carer{width}")
    patient = _sign_up(browser, site, f"parent{width}", viewport=viewport, bypass_csp=True)

    patient.get_by_role("navigation").get_by_role("link", name="Sharing", exact=True).click()
    family = patient.locator("#family")
    family.get_by_label("Their username").fill(f"carer{width}")
    expect(family.get_by_label("Vital signs")).to_be_checked()
    expect(family.get_by_label("Health status")).not_to_be_checked()
    family.get_by_role("button", name="Ask them in").click()
    expect(patient.locator(".flash.ok")).to_contain_text("can now follow what you ticked")
    expect(family.locator("table")).to_contain_text(f"Carer{width}")
    expect(family.locator("table")).to_contain_text("Vital signs, Body measures")
    _fits(patient)
    assert _axe(patient, axe_source) == []
    _shot(patient, f"f1-patient-sharing-{width}")
    family.screenshot(path=str(SHOTS / f"f1-patient-family-{width}.png"))

    patient.get_by_role("navigation").get_by_role("link", name="Readings", exact=True).click()
    patient.fill("input[name=systolic]", "185")
    patient.fill("input[name=diastolic]", "125")
    patient.click("main button[type=submit]")
    expect(patient.locator("h1")).to_have_text("Your reading needs attention now")

    carer.reload()
    notice = carer.locator(".notices li", has_text="danger zone")
    expect(notice).to_be_visible()
    expect(notice).not_to_contain_text("185")
    assert _axe(carer, axe_source) == []
    _fits(carer)
    _shot(carer, f"f2-caregiver-told-{width}")
    notice.get_by_role("link", name="see their readings").click()
    expect(carer.locator("h1")).to_have_text(f"Parent{width}")
    expect(carer.locator("table.readings")).to_contain_text("185/125 mmHg")
    expect(carer.locator("main")).not_to_contain_text("Write to the patient")
    expect(carer.locator("main")).not_to_contain_text("Declare emergency")
    assert _axe(carer, axe_source) == []
    _fits(carer)
    _shot(carer, f"f3-caregiver-record-{width}")

    # The patient sees the look in their history, and removes them with one click.
    patient.get_by_role("navigation").get_by_role("link", name="Access history").click()
    expect(patient.locator("main")).to_contain_text(f"Carer{width} read your vital signs")
    patient.get_by_role("navigation").get_by_role("link", name="Sharing", exact=True).click()
    patient.locator("#family").get_by_role("button", name=f"Remove Carer{width}").click()
    expect(patient.locator(".flash.ok")).to_contain_text("can no longer see your record")
    carer.reload()
    expect(carer.locator("main")).to_contain_text("shares nothing with you")
    expect(carer.locator("h1")).not_to_have_text(f"Parent{width}")
