"""What a patient does every day, in a real headless Chromium against the real local
stack: units as typed, their own record, their own time zone, a mistake on a small form,
notices that stay, a wrong file, erasure that ends cleanly; every page at 1280 and 390 px
fits the screen and passes axe-core with no serious or critical violation. Screenshots go
to ``test-artifacts/screenshots/``.
"""

# The fixtures come from the first browser module; pytest passes them by name.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from phr_share.ccda import PatientHeader, parse_readings, readings_document
from phr_share.mail import NOTICE_SUBJECT, RESET_SUBJECT
from phr_share.models import SegmentKind
from phr_share.sharing import (
    OPERATOR,
    accept_care,
    declare_emergency,
    find_account,
    grant_access,
    ingest_document,
    invite_clinician,
    run_release,
    set_email,
)
from phr_share.stack import StackInfo, maildir
from phr_share.stack.mail_sink import delivered
from tests.conftest import DEMO_CCD
from tests.integration.test_browser import (  # noqa: F401  (the fixtures)
    CHROMIUM,
    PASSWORD,
    SHOTS,
    Site,
    _login,
    _shot,
    browser,
    site,
)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)"
)
AXE = Path(__file__).resolve().parents[2] / "deploy/web/node_modules/axe-core/axe.min.js"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
# Every element's right edge within the screen, but for what scrolls inside a box made
# for it (a wide table in its own scroller).
OUTSIDE = """() => [...document.querySelectorAll('body *')]
  .filter((e) => !e.closest('.scroll') && e.getClientRects().length)
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map((e) => e.tagName + '.' + e.className)"""


def _sign_up(browser: object, site: Site, username: str, **context: object):  # type: ignore[no-untyped-def]
    page = browser.new_context(**context).new_page()  # type: ignore[attr-defined]
    page.goto(f"{site.url}/signup")
    page.fill("input[name=username]", username)
    page.fill("input[name=display_name]", username.title())
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("main button[type=submit]")
    sync_api.expect(page.locator("h1")).to_have_text("My data")
    return page


def _mail_to(stack: StackInfo, address: str, subject: str) -> EmailMessage:
    """The first mail the stack's SMTP server kept for this address (waiting up to 15 s:
    mails are sent in the background)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for message in delivered(maildir(stack.state_dir)):
            if message["To"] == address and message["Subject"] == subject:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address} reached the local SMTP server")


def _fits(page: object) -> None:
    outside = page.evaluate(OUTSIDE)  # type: ignore[attr-defined]
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")  # type: ignore[attr-defined]
    assert (wide, outside) == (0, []), f"{page.url} is {wide} px wider than the screen"  # type: ignore[attr-defined]


def _menu_lines(page: object) -> int:
    """How many lines the header's links take."""
    tops = page.evaluate(  # type: ignore[attr-defined]
        "() => [...document.querySelectorAll('header.top a, header.top button')]"
        ".map((e) => Math.round(e.getBoundingClientRect().top))"
    )
    return len({t // 8 for t in tops})


def test_a_patient_on_a_phone_enters_pounds_and_inches_and_reads_their_record(
    site: Site, browser: object, tmp_path: Path
) -> None:
    expect = sync_api.expect
    # The browser checks the username with the server's rule (a bad one is refused there).
    page = browser.new_context(viewport=PHONE, timezone_id="Asia/Shanghai").new_page()  # type: ignore[attr-defined]
    page.goto(f"{site.url}/signup")
    page.fill("input[name=username]", "Bad Name!")
    invalid = page.eval_on_selector("input[name=username]", "i => i.validity.patternMismatch")
    assert invalid is True
    page.fill("input[name=username]", "mei.lin")
    assert page.eval_on_selector("input[name=username]", "i => i.validity.valid") is True
    page.fill("input[name=display_name]", "Mei Lin")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("My data")
    # The browser's zone became the account's.
    account = find_account(site.svc, OPERATOR, username="mei.lin")
    assert account.time_zone == "Asia/Shanghai"
    assert _menu_lines(page) <= 2

    page.get_by_role("navigation").get_by_role("link", name="Readings", exact=True).click()
    page.fill("input[name=measured_at]", "2026-01-05T08:00")
    page.fill("input[name=weight]", "185")
    page.select_option("select[name=weight_unit]", label="lb")
    # The number's range follows its unit.
    assert page.eval_on_selector("input[name=weight]", "i => i.max") == "1100"
    page.fill("input[name=height]", "68")
    page.select_option("select[name=height_unit]", label="in")
    page.fill("textarea[name=note]", "Scale at the pharmacy")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Readings saved")
    _shot(page, "d1-phone-readings-saved")
    page.get_by_role("navigation").get_by_role("link", name="My data", exact=True).click()
    page.locator("#readings summary").click()
    table = page.locator("table.readings")
    expect(table).to_contain_text("185 lb")
    expect(table).to_contain_text("68 in")
    expect(table).to_contain_text("Scale at the pharmacy")  # the patient's own note
    # Typed as 08:00 where she lives, shown so: no UTC anywhere.
    expect(table).to_contain_text("5 Jan 2026, 08:00")
    assert "UTC" not in page.locator("main").inner_text()
    expect(page.locator(".charts[data-ready=true] canvas").first).to_be_visible()
    _fits(page)
    _shot(page, "d1-phone-my-data")
    # Today's weighing, in pounds again: the summary says it in kilograms, with the body
    # mass index from the height typed in inches; the chart draws them on the kg axis.
    page.get_by_role("navigation").get_by_role("link", name="Readings", exact=True).click()
    page.fill("input[name=weight]", "180")
    page.select_option("select[name=weight_unit]", label="lb")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Readings saved")
    page.get_by_role("navigation").get_by_role("link", name="My data", exact=True).click()
    summary = page.locator(".summary")
    expect(summary).to_contain_text("Latest: 81.6 kg")
    expect(summary).to_contain_text("Body mass index")
    page.goto(f"{site.url}/me?chart=all")
    expect(page.locator(".charts[data-ready=true] canvas").first).to_be_visible()
    weights = page.evaluate(
        "() => Object.values(Chart.instances).flatMap((c) => c.data.datasets"
        ".filter((d) => /weight/i.test(d.label)).map((d) => [d.label,"
        " c.options.scales.y.title.text, d.data.filter((p) => p.y !== null).map((p) => p.y)]))"
    )
    assert [(label, axis, [round(v, 1) for v in values]) for label, axis, values in weights] == [
        ("Body weight", "kg", [83.9, 81.6])
    ]
    _shot(page, "d1-phone-weight-charted")

    # Her clinic's record: problems, medicines, allergies and results are hers to read.
    page.get_by_role("navigation").get_by_role("link", name="Upload", exact=True).click()
    record = tmp_path / "record.xml"
    record.write_bytes(DEMO_CCD.read_bytes())
    page.set_input_files("input[name=document]", str(record))
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Record stored")
    expect(page.locator("main")).not_to_contain_text("Swift")
    page.get_by_role("navigation").get_by_role("link", name="My data", exact=True).click()
    mine = page.locator("#my-record")
    expect(mine.locator("summary").first).to_have_text("Problems")
    mine.locator("summary", has_text="Allergies").click()
    expect(mine).to_contain_text("Hives")
    # The home readings are one row of what is stored.
    expect(page.locator("tr.home-documents")).to_contain_text("Home readings: 2 entries")
    _fits(page)
    _shot(page, "d1-phone-my-record")

    # A PDF picked by mistake is named as one.
    page.get_by_role("navigation").get_by_role("link", name="Upload", exact=True).click()
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    page.set_input_files("input[name=document]", str(pdf))
    page.click("main button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("this is a PDF, not a health record")
    expect(page.locator(".flash.error > p").first).not_to_contain_text("root element")


def test_a_mistake_on_a_small_form_stays_on_its_page_with_what_was_typed(
    site: Site, browser: object
) -> None:
    expect = sync_api.expect
    page = _sign_up(browser, site, "ruth", viewport=DESK)
    page.get_by_role("navigation").get_by_role("link", name="Sharing", exact=True).click()
    page.fill("input[name=username]", "dr.nobody")
    page.get_by_role("button", name="Invite").click()
    assert page.url.endswith("/me/sharing")
    invite = page.locator("form", has=page.get_by_role("button", name="Invite"))
    expect(invite.locator(".flash.error")).to_be_visible()
    expect(invite.locator("input[name=username]")).to_have_value("dr.nobody")
    expect(page.locator("h1")).not_to_have_text("Something went wrong")
    _shot(page, "d2-invite-mistake")


def test_notices_stay_until_dismissed_and_erasure_ends_on_a_clear_page(
    site: Site, browser: object
) -> None:
    expect = sync_api.expect
    page = _sign_up(browser, site, "sam", viewport=DESK)
    account = find_account(site.svc, OPERATOR, username="sam")
    assert account.patient_id is not None
    doctor = find_account(site.svc, OPERATOR, username="dr.osei")
    declare_emergency(site.svc, doctor.principal, account.patient_id, "found unconscious")
    for _ in range(2):  # seen twice, still there
        page.goto(f"{site.url}/me")
        expect(page.locator(".notices")).to_contain_text("Emergency access to your record on")
    page.goto(f"{site.url}/me/history")
    expect(page.locator(".notices")).to_be_visible()
    expect(page.locator("ul.history").first).to_be_visible()
    page.get_by_role("button", name="Dismiss this notification").click()
    expect(page.locator(".notices")).to_have_count(0)
    page.goto(f"{site.url}/me")
    expect(page.locator(".notices")).to_have_count(0)

    page.goto(f"{site.url}/me/erase")
    page.fill("input[name=confirm]", "ERASE")
    page.locator("main button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Your data is erased")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    _shot(page, "d3-erased")
    page.get_by_role("link", name="Back to sign in").click()
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("closed when its data was erased")


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (make test installs it)")
    return AXE.read_text()


PATIENT_PAGES = ["/me", "/me/readings", "/me/upload", "/me/sharing", "/me/history"]
PATIENT_PAGES += ["/me/research-preview", "/me/erase", "/account/tokens"]
PUBLIC_PAGES = ["/login", "/signup", "/login/forgot"]


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280", "390"])
def test_every_patient_page_fits_and_passes_axe(
    site: Site, browser: object, axe_source: str, viewport: dict[str, int], tmp_path: Path
) -> None:
    # The pages' own CSP refuses injected scripts: axe runs with it bypassed, in tests only.
    page = _sign_up(browser, site, f"axe{viewport['width']}", viewport=viewport, bypass_csp=True)
    page.get_by_role("navigation").get_by_role("link", name="Readings", exact=True).click()
    page.fill("input[name=systolic]", "128")
    page.fill("input[name=diastolic]", "82")
    page.click("main button[type=submit]")
    found: dict[str, list[str]] = {}
    for path in PATIENT_PAGES:
        page.goto(f"{site.url}{path}")
        _fits(page)
        found[path] = _axe(page, axe_source)
    page.get_by_role("button", name="Sign out").click()
    for path in PUBLIC_PAGES:
        page.goto(f"{site.url}{path}")
        _fits(page)
        found[path] = _axe(page, axe_source)
    assert {p: v for p, v in found.items() if v} == {}


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280", "390"])
def test_the_doctors_pages_fit_and_pass_axe(
    site: Site, browser: object, axe_source: str, viewport: dict[str, int]
) -> None:
    page = _login(browser, site, "dr.kim", viewport=viewport, bypass_csp=True)
    found = {}
    for path in ["/clinic", f"/clinic/patients/{site.cohort[0]}", "/account/tokens"]:
        page.goto(f"{site.url}{path}")
        _fits(page)
        found[path] = _axe(page, axe_source)
    assert {p: v for p, v in found.items() if v} == {}


def _axe(page: object, source: str) -> list[str]:
    """The serious and critical axe-core violations of the page, as rule and target."""
    page.add_script_tag(content=source)  # type: ignore[attr-defined]
    result = page.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter((v) => ['serious', 'critical'].includes(v.impact))"
        ".map((v) => ({id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}))"
    )
    return [json.dumps(v) for v in result]


def _sharing_vitals_with_dr_kim(
    browser: object, site: Site, username: str, viewport: dict[str, int]
):  # type: ignore[no-untyped-def]
    """A new patient, signed in, in Dr Kim's care with a grant of vital signs."""
    page = _sign_up(browser, site, username, viewport=viewport)
    account = find_account(site.svc, OPERATOR, username=username)
    doctor = find_account(site.svc, OPERATOR, username="dr.kim")
    accept_care(
        site.svc, doctor.principal, invite_clinician(site.svc, account.principal, doctor.id)
    )
    grant_access(site.svc, account.principal, doctor.id, {SegmentKind.PHYSICAL_SIGNS})
    return page, account


def test_the_doctor_sets_a_target_and_the_patients_chart_shows_it(
    site: Site, browser: object
) -> None:
    expect = sync_api.expect
    page, account = _sharing_vitals_with_dr_kim(browser, site, "lee.ann", DESK)
    # Two readings two months apart: no line is drawn across the months between.
    for when, systolic in [("2026-09-01T08:00", "142"), ("2026-11-01T08:00", "138")]:
        page.goto(f"{site.url}/me/readings")
        page.fill("input[name=measured_at]", when)
        page.fill("input[name=systolic]", systolic)
        page.fill("input[name=diastolic]", "88")
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_have_text("Readings saved")

    doctor = _login(browser, site, "dr.kim")
    doctor.goto(f"{site.url}/clinic/patients/{account.patient_id}")
    targets = doctor.locator("#targets form")
    targets.locator("input[name=systolic]").fill("135")
    targets.locator("input[name=diastolic]").fill("85")
    targets.get_by_role("button", name="Save targets").click()
    expect(doctor.locator(".flash.ok")).to_contain_text("Targets saved")

    page.goto(f"{site.url}/me?chart=all")
    expect(page.locator("p.targets")).to_contain_text("under 135/85 mmHg")
    expect(page.locator("p.targets")).to_contain_text("Set by Dr.Kim")
    canvas = page.locator(".charts[data-ready=true] canvas").first
    expect(canvas).to_be_visible()
    marks, values = canvas.evaluate(
        "c => { const chart = Chart.getChart(c);"
        " return [chart.options.plugins.targetMarks.targets.map((t) => t.at),"
        " chart.data.datasets[0].data.map((p) => p.y)]; }"
    )
    assert marks == [135, 85]
    assert values == [142, None, 138]
    expect(page.locator(".chart-latest").first).to_contain_text("systolic target 135")
    # The readings at or above it are flagged in the table.
    page.locator("#readings summary").click()
    expect(page.locator("table.readings")).to_contain_text("▲ at or above target")
    _shot(page, "d4-targets-on-the-chart")


def test_a_reading_in_the_danger_zone_shows_what_to_do_and_the_doctor_is_told(
    site: Site, browser: object, stack: StackInfo
) -> None:
    expect = sync_api.expect
    kim = find_account(site.svc, OPERATOR, username="dr.kim")
    set_email(site.svc, kim.principal, "kim@demo.phr.invalid")
    page, account = _sharing_vitals_with_dr_kim(browser, site, "omar", PHONE)
    page.get_by_role("navigation").get_by_role("link", name="Readings", exact=True).click()
    page.fill("input[name=systolic]", "185")
    page.fill("input[name=diastolic]", "125")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Your reading needs attention now")
    expect(page.locator(".call-now")).to_contain_text("call 911 now")
    _fits(page)
    _shot(page, "d5-danger-zone-phone")
    doctor = _login(browser, site, "dr.kim")
    notice = doctor.locator(".notices li", has_text="danger zone")
    expect(notice).to_be_visible()
    expect(notice).not_to_contain_text("185")
    notice.get_by_role("link", name="open their record").click()
    expect(doctor.locator("table.readings")).to_contain_text("185/125 mmHg")
    _shot(doctor, "d5-doctor-told")
    # The doctor is also told by e-mail, through the stack's real SMTP server, with no PHI.
    mail = _mail_to(stack, "kim@demo.phr.invalid", NOTICE_SUBJECT)
    body = mail.get_content()
    assert f"{site.svc.settings.site_url}/" in body
    for secret in ("185", "125", "Omar", "omar", str(account.patient_id), "danger"):
        assert secret not in body


def test_a_forgotten_password_is_set_again_through_a_link_by_e_mail(
    site: Site, browser: object, stack: StackInfo, axe_source: str
) -> None:
    expect = sync_api.expect
    desk = browser.new_context(viewport=DESK).new_page()  # type: ignore[attr-defined]
    desk.goto(f"{site.url}/login")
    desk.get_by_role("link", name="Forgot your password?").click()
    expect(desk.locator("h1")).to_have_text("Forgot your password?")
    _fits(desk)
    _shot(desk, "d7-forgot-password-desk")
    page = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()  # type: ignore[attr-defined]
    page.goto(f"{site.url}/signup")
    expect(page.locator("form")).to_contain_text("for notices and to reset a forgotten password")
    page.fill("input[name=username]", "rosa")
    page.fill("input[name=email]", "Rosa@Example.org")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("My data")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("input[name=name]", "rosa@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator(".flash.ok")).to_have_text(
        "If an account has this address, we sent a link. It works for 30 minutes."
    )
    _fits(page)
    _shot(page, "d7-forgot-password-sent-phone")
    mail = _mail_to(stack, "rosa@example.org", RESET_SUBJECT)
    link = re.search(r"(/login/reset/[A-Za-z0-9_-]{43})\s", mail.get_content())
    assert link is not None
    # PHR_PUBLIC_URL is the site's public address; here the test server's is used.
    page.goto(f"{site.url}{link.group(1)}")
    expect(page.locator("h1")).to_have_text("Set a new password")
    _fits(page)
    assert _axe(page, axe_source) == []
    _shot(page, "d7-reset-form-phone")
    page.fill("input[name=new]", "a new long passphrase")
    page.fill("input[name=confirm]", "a new long passphrase")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".flash.ok")).to_contain_text("Your new password is set")
    page.fill("input[name=username]", "rosa")
    page.fill("input[name=password]", "a new long passphrase")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("My data")
    # The link worked once: opened again, it says so plainly.
    page.goto(f"{site.url}{link.group(1)}")
    expect(page.locator(".flash.error")).to_contain_text("already used")
    _shot(page, "d7-reset-link-used-phone")
    page.goto(f"{site.url}/account/tokens")
    expect(page.locator("#email")).to_contain_text("rosa@example.org")
    expect(page.locator("#email input[name=email]")).to_have_value("rosa@example.org")
    _shot(page, "d7-account-email-phone")


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def _download_report(page: object, site: Site, patient: uuid.UUID, days: str, to: Path) -> str:
    """The visit report downloaded from the record page, as pdftotext reads it."""
    page.goto(f"{site.url}/clinic/patients/{patient}")  # type: ignore[attr-defined]
    form = page.locator("form.report-form")  # type: ignore[attr-defined]
    form.get_by_label("Visit report for the last").select_option(days)
    with page.expect_download() as download:  # type: ignore[attr-defined]
        form.get_by_role("button", name="Download visit report (PDF)").click()
    assert download.value.suggested_filename.startswith("visit-report-")
    download.value.save_as(str(to))
    return _pdf_text(to)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (make test installs it)")
def test_the_doctor_downloads_the_visit_report_from_the_record_page(
    site: Site, browser: object, tmp_path: Path
) -> None:
    page = _sign_up(browser, site, "ruth", viewport=DESK)
    page.close()
    account = find_account(site.svc, OPERATOR, username="ruth")
    patient = account.patient_id
    assert patient is not None
    ingest_document(site.svc, OPERATOR, DEMO_CCD.read_bytes(), patient)
    now = site.svc.clock()
    # A fortnight at 142/88, and older readings at 120/70 that the 14 days leave out.
    sittings = [(now - timedelta(days=d, hours=1), "142", "88") for d in range(14)]
    sittings += [(now - timedelta(days=d), "120", "70") for d in (40, 50, 60)]
    for when, systolic, diastolic in sittings:
        form = {"measured_at": when.isoformat(), "systolic": systolic, "diastolic": diastolic}
        readings = parse_readings(form, now=now)
        document = readings_document(readings, PatientHeader(patient), uuid.uuid4())
        ingest_document(site.svc, OPERATOR, document, patient)
    kim = find_account(site.svc, OPERATOR, username="dr.kim")
    osei = find_account(site.svc, OPERATOR, username="dr.osei")
    for doctor, kinds in [
        (kim, {SegmentKind.PHYSICAL_SIGNS, SegmentKind.HEALTH_STATUS}),
        (osei, {SegmentKind.PHYSICAL_SIGNS}),
    ]:
        accept_care(
            site.svc, doctor.principal, invite_clinician(site.svc, account.principal, doctor.id)
        )
        grant_access(site.svc, account.principal, doctor.id, kinds)

    doctor = _login(browser, site, "dr.kim")
    doctor.goto(f"{site.url}/clinic/patients/{patient}")
    sync_api.expect(doctor.locator(".summary")).to_contain_text("Average: 142/88 mmHg")
    _shot(doctor, "d6-record-page-report-form")
    report = _download_report(doctor, site, patient, "90", tmp_path / "kim.pdf")
    # The blood pressure table: a column per window, 14 days first, then 30 and 90.
    assert re.search(r"^\s*14 days\s+30 days\s+90 days$", report, re.M)
    means = re.search(r"^\s*Average\s+(\S+) mmHg\s+(\S+) mmHg\s+(\S+) mmHg$", report, re.M)
    assert means is not None
    assert means.groups() == ("142/88", "142/88", "138/85")
    assert "Medications" in report
    assert "Lisinopril 10 mg tablet, once daily" in report
    assert "Ruth" in report
    assert "Not included:" in report
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "2",
            str(tmp_path / "kim.pdf"),
            str(SHOTS / "d6-visit-report"),
        ],
        check=True,
    )

    other = _login(browser, site, "dr.osei")
    withheld = _download_report(other, site, patient, "30", tmp_path / "osei.pdf")
    assert re.search(r"^\s*Average\s+142/88 mmHg\s+142/88 mmHg$", withheld, re.M)
    assert "Lisinopril" not in withheld
    assert "Metformin" not in withheld
    assert "Not included: weight (body measures); medications, allergies and problems" in (
        " ".join(withheld.split())
    )
    # Both downloads are in the patient's access history.
    mine = _login(browser, site, "ruth")
    mine.goto(f"{site.url}/me/history")
    history = mine.locator("ul.history")
    sync_api.expect(history).to_contain_text("Dr.Kim downloaded a visit report of the last 90 days")
    sync_api.expect(history).to_contain_text(
        "Dr.Osei downloaded a visit report of the last 30 days"
    )


ADMIN_PAGES = ["/admin", "/admin/audit", "/admin/audit?outcome=denied", "/account/tokens"]
RESEARCH_PAGES = ["/research", "/account/tokens"]


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280", "390"])
def test_the_admin_and_research_pages_fit_and_pass_axe(
    site: Site, browser: object, axe_source: str, viewport: dict[str, int]
) -> None:
    # A published release, so the catalogue lists one and its query form has a choice.
    run_release(site.svc, OPERATOR)
    found: dict[str, list[str]] = {}
    admin = _login(browser, site, "admin", viewport=viewport, bypass_csp=True)
    sync_api.expect(admin.locator("h1")).not_to_have_text("Sign-in code")
    for number, path in enumerate(ADMIN_PAGES):
        admin.goto(f"{site.url}{path}")
        _fits(admin)
        found[f"admin {path}"] = _axe(admin, axe_source)
        _shot(admin, f"d6-admin-{number}-{viewport['width']}")
    # A filter that is no choice is answered on the audit page, not an error page.
    admin.goto(f"{site.url}/admin/audit?outcome=nope")
    sync_api.expect(admin.locator("form .flash.error")).to_contain_text("outcome is one of")
    sync_api.expect(admin.locator("table.audit")).to_be_visible()
    _fits(admin)
    found["admin mistake"] = _axe(admin, axe_source)
    lab = _login(browser, site, "lab", viewport=viewport, bypass_csp=True)
    for path in RESEARCH_PAGES:
        lab.goto(f"{site.url}{path}")
        _fits(lab)
        found[f"lab {path}"] = _axe(lab, axe_source)
    # The query answered on the page, and a mistake in it answered there too.
    lab.goto(f"{site.url}/research")
    lab.get_by_role("button", name="Count").click()
    sync_api.expect(lab.locator("main")).to_contain_text("match")
    _fits(lab)
    found["lab counted"] = _axe(lab, axe_source)
    lab.goto(f"{site.url}/research/query?release=nope&kind=vital-signs")
    sync_api.expect(lab.locator(".flash.error")).to_be_visible()
    _fits(lab)
    found["lab mistake"] = _axe(lab, axe_source)
    _shot(lab, f"d6-research-{viewport['width']}")
    assert {p: v for p, v in found.items() if v} == {}
