"""The four journeys in a real headless Chromium (Debian's), against the app served on
loopback over the real local stack (Swift, moto S3, SQLite), and a doctor setting up
two-step sign-in. Screenshots of each journey's key page go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from phr_share.ccda import (
    PatientHeader,
    parse_readings,
    parse_xml,
    readings_document,
    split_document,
)
from phr_share.ccda.identity import collect_identifiers
from phr_share.consent import Role
from phr_share.consent.totp import code_at, step_of
from phr_share.deid.scanner import scan
from phr_share.errors import PhrShareError
from phr_share.models import SegmentKind
from phr_share.research import catalogue, release_records
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    Services,
    choose_release,
    confirm_enrolment,
    create_user,
    find_account,
    ingest_document,
    open_services,
    start_enrolment,
)
from phr_share.stack import StackInfo
from phr_share.web import create_app
from phr_share.web.serve import Server
from tests.conftest import DEMO_CCD, corpus_files

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
# Chromium on a closed network: no background traffic, no first-run work.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)"
)


@dataclass
class Site:
    url: str
    svc: Services
    cohort: list[uuid.UUID]
    # The TOTP secrets of the staff, who sign in with a second factor.
    secrets: dict[str, str] = field(default_factory=dict)


def _code(secret: str) -> str:
    """A code the server takes now and has not seen: the next step's (one step of drift
    is accepted, and setting up used the current one)."""
    return code_at(secret, step_of(datetime.now(UTC)) + 1)


def _document() -> bytes:
    """A corpus C-CDA with vital signs (the demo document should none have them)."""
    for path in corpus_files():
        data = path.read_bytes()
        if len(data) > 400_000:
            continue
        try:
            kinds = {s.kind for s in split_document(data, uuid.uuid4()).segments}
        except PhrShareError:  # a document the splitter refuses is skipped
            continue
        if SegmentKind.PHYSICAL_SIGNS in kinds and SegmentKind.HEALTH_STATUS in kinds:
            return data
    return DEMO_CCD.read_bytes()


@pytest.fixture
def site(stack: StackInfo, tmp_path: Path) -> Iterator[Site]:
    env = {
        **stack.env,
        "PHR_STATE_DIR": str(tmp_path),
        "PHR_S3_BUCKET": f"web-{uuid.uuid4().hex[:12]}",
        "PHR_KANON_K": "3",
        # The uploaded record is one of a kind: its own rows are suppressed, the rest published.
        "PHR_KANON_MAX_SUPPRESSED": "0.5",
    }
    settings = Settings.from_env(env)
    svc = open_services(settings)
    secrets = {}
    for username, role in [
        ("dr.kim", Role.DOCTOR),
        ("dr.osei", Role.DOCTOR),
        ("lab", Role.RESEARCHER),
        ("admin", Role.ADMIN),
    ]:
        account = create_user(
            svc, OPERATOR, username, role, password=PASSWORD, display_name=username.title()
        )
        if role in settings.require_mfa_roles:
            secret = start_enrolment(svc, account.principal).secret
            confirm_enrolment(svc, account.principal, code_at(secret, step_of(svc.clock())))
            secrets[username] = secret
    cohort = [uuid.uuid4() for _ in range(3)]
    for number, patient in enumerate(cohort):
        choose_release(svc, OPERATOR, patient, {SegmentKind.PHYSICAL_SIGNS})
        form = {
            "measured_at": f"2026-0{number + 3}-05T08:30:00+00:00",
            "systolic": "131",
            "diastolic": "83",
        }
        readings = parse_readings(form, now=svc.clock())
        ingest_document(
            svc,
            OPERATOR,
            readings_document(readings, PatientHeader(patient), uuid.uuid4()),
            patient,
        )
    server = Server(create_app(settings, svc))  # what `phr-share web` serves with
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Site(server.url, svc, cohort, secrets)
    finally:
        server.close()
        thread.join(5)
        svc.close()


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _login(browser: object, site: Site, username: str, **context: object):  # type: ignore[no-untyped-def]
    context.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**context)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    if username in site.secrets:
        sync_api.expect(page.locator("h1")).to_have_text("Sign-in code")
        page.fill("input[name=code]", _code(site.secrets[username]))
        page.click("main button[type=submit]")
    return page


def test_four_journeys(site: Site, browser: object, tmp_path: Path) -> None:
    expect = sync_api.expect
    document = _document()

    # (1) A patient signs up, uploads a C-CDA, enters a reading, shares vital signs
    #     with a doctor and releases them for research.
    patient = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # type: ignore[attr-defined]
    patient.goto(f"{site.url}/signup")
    patient.fill("input[name=username]", "jordan")
    patient.fill("input[name=display_name]", "Jordan Sample")
    patient.fill("input[name=password]", PASSWORD)
    patient.fill("input[name=confirm]", PASSWORD)
    patient.click("main button[type=submit]")
    expect(patient.locator("h1")).to_have_text("My data")
    patient.get_by_role("navigation").get_by_role("link", name="Upload", exact=True).click()
    # A file over the size limit is refused in the page, before any of it is sent.
    huge = tmp_path / "huge.xml"
    huge.write_bytes(b" " * (site.svc.settings.max_document_bytes + 1))
    patient.set_input_files("input[name=document]", str(huge))
    patient.click("main button[type=submit]")
    message = patient.eval_on_selector("input[name=document]", "input => input.validationMessage")
    assert "larger than the limit" in message
    expect(patient.locator(".upload-progress")).to_be_hidden()
    upload = tmp_path / "record.xml"
    upload.write_bytes(document)
    patient.set_input_files("input[name=document]", str(upload))
    patient.click("main button[type=submit]")
    # Sent with a progress bar, then the server's answer replaces the page.
    expect(patient.locator("h1")).to_have_text("Record stored")
    assert patient.url.endswith("/me/upload")
    expect(patient.locator("td [data-kind=physical-signs]").first).to_have_text("Vital signs")
    _shot(patient, "1-patient-upload-result")
    patient.get_by_role("navigation").get_by_role("link", name="Readings", exact=True).click()
    patient.fill("input[name=systolic]", "141")
    patient.fill("input[name=diastolic]", "150")  # above the systolic: refused by the server
    patient.click("main button[type=submit]")
    expect(patient.locator(".field-error").first).to_be_visible()
    patient.fill("input[name=diastolic]", "88")
    patient.fill("input[name=heart_rate]", "72")
    patient.click("main button[type=submit]")
    expect(patient.locator("h1")).to_have_text("Readings saved")
    patient.get_by_role("navigation").get_by_role("link", name="Sharing", exact=True).click()
    patient.fill("input[name=username]", "dr.kim")
    patient.get_by_role("button", name="Invite").click()
    expect(patient.locator(".flash.ok")).to_contain_text("Invitation sent")

    doctor = _login(browser, site, "dr.kim")
    doctor.get_by_role("button", name="Accept").click()
    expect(doctor.locator(".flash.ok")).to_contain_text("Invitation accepted")

    patient.reload()
    grant_form = patient.locator("form", has=patient.locator("select[name=grantee]"))
    grant_form.locator("input[name=kinds][value=physical-signs]").check()
    grant_form.locator("button[type=submit]").click()
    expect(patient.locator(".flash.ok")).to_contain_text("Grant created")
    research = patient.locator("form", has=patient.locator("input[name=release]"))
    research.locator("input[value=physical-signs]").check()
    research.locator("button[type=submit]").click()
    expect(patient.locator(".flash.ok")).to_contain_text("Research release saved")
    _shot(patient, "1-patient-sharing")
    patient_id = _patient_id(site.svc, "jordan")

    # (2) The doctor sees exactly the shared segments and the chart, and writes a note;
    #     the patient sees the note and the doctor's read in the access history.
    doctor.goto(f"{site.url}/clinic")
    doctor.get_by_role("link", name="Open record").click()
    expect(doctor.locator("h1")).to_have_text("Jordan Sample")
    badges = doctor.locator("article.section .badge")
    shown = {badges.nth(i).get_attribute("data-kind") for i in range(badges.count())}
    assert shown == {"physical-signs"}
    assert set(badges.all_inner_texts()) == {"Vital signs"}
    expect(doctor.locator("table.readings")).to_contain_text("141/88 mmHg")  # home readings
    expect(doctor.locator(".charts[data-ready=true] canvas").first).to_be_visible()
    doctor.fill("textarea[name=text]", "Blood pressure is high: start 5 mg amlodipine daily.")
    doctor.get_by_role("button", name="Save to the patient's record").click()
    expect(doctor.locator(".flash.ok")).to_contain_text("Saved to the patient's record")
    expect(doctor.locator(".charts[data-ready=true] canvas").first).to_be_visible()
    _shot(doctor, "2-doctor-record")
    patient.goto(f"{site.url}/me")
    expect(patient.locator("text=start 5 mg amlodipine")).to_be_visible()
    expect(patient.locator(".charts[data-ready=true] canvas").first).to_be_visible()
    # Readings sit at their real times on the x axis, not at evenly spaced labels.
    axis, times = patient.locator(".charts canvas").first.evaluate(
        "c => { const chart = Chart.getChart(c);"
        " return [chart.scales.x.type, chart.data.datasets[0].data.map((p) => p.x)]; }"
    )
    assert axis == "linear"
    assert times
    assert times == sorted(times)
    assert all(isinstance(t, int | float) and t > 1e12 for t in times)
    _shot(patient, "2-patient-dashboard")
    patient.get_by_role("navigation").get_by_role("link", name="Access history").click()
    expect(patient.locator("ul.history li", has_text="Dr.Kim read your").first).to_be_visible()

    # (3) A researcher pulls the release and finds the reading, with no identifier.
    admin = _login(browser, site, "admin")
    admin.get_by_role("button", name="Run the research release").click()
    expect(admin.locator("p[role=status]")).to_contain_text("Release published")
    researcher = _login(browser, site, "lab")
    expect(researcher.locator("h1")).to_have_text("Research releases")
    _shot(researcher, "3-researcher-catalogue")
    with researcher.expect_download() as download:
        researcher.get_by_role("link", name="JSON lines").first.click()
    pulled = Path(download.value.path()).read_bytes()
    [release] = catalogue(site.svc.public, site.svc.settings.s3_bucket)
    records = release_records(site.svc.public, site.svc.settings.s3_bucket, release.release_id)
    assert any(r["loinc"] == "8480-6" and r["value"] == 141 for r in records)  # a number
    assert b'"value": 141' in pulled
    identifiers = collect_identifiers(parse_xml(document))
    assert not scan(pulled, identifiers)
    assert str(patient_id) not in pulled.decode()
    # The same release queried in the page: counted by kind, then by an age range.
    vitals = [r for r in records if r["kind"] == "physical-signs"]
    researcher.select_option("select[name=kind]", "physical-signs")
    researcher.get_by_role("button", name="Count").click()
    expect(researcher.locator("p[role=status]")).to_have_text(f"{len(vitals)} records match.")
    researcher.fill("input[name=ages]", "0-1")
    researcher.get_by_role("button", name="Count").click()
    expect(researcher.locator("p[role=status]")).to_have_text("0 records match.")
    expect(researcher.locator("input[name=ages]")).to_have_value("0-1")  # the form keeps it

    # (4) A second doctor without a grant is refused, then uses emergency access; the
    #     patient sees the notification.
    stranger = _login(browser, site, "dr.osei")
    stranger.goto(f"{site.url}/clinic/patients/{patient_id}")
    expect(stranger.locator("text=shares nothing with you")).to_be_visible()
    stranger.fill("textarea[name=reason]", "Brought in unconscious; need medication list.")
    stranger.get_by_role("button", name="Declare emergency").click()
    expect(stranger.locator(".emergency-banner")).to_be_visible()
    assert stranger.locator("article.section").count() > 0
    _shot(stranger, "4-emergency-access")
    patient.get_by_role("button", name="Sign out").click()
    patient.fill("input[name=username]", "jordan")
    patient.fill("input[name=password]", PASSWORD)
    patient.click("main button[type=submit]")
    expect(patient.locator(".flash.warning").first).to_contain_text("new notification")
    patient.get_by_role("navigation").get_by_role("link", name="Access history").click()
    expect(patient.locator("text=Brought in unconscious")).to_be_visible()
    expect(patient.locator(".badge.danger").first).to_have_text("EMERGENCY")
    _shot(patient, "4-patient-history")


def _patient_id(svc: Services, username: str) -> uuid.UUID:
    patient_id = find_account(svc, OPERATOR, username=username).patient_id
    assert patient_id is not None
    return patient_id


def test_the_pages_hold_no_inline_script(site: Site, browser: object) -> None:
    page = _login(browser, site, "admin")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in ["/admin", "/account/tokens"]:
        page.goto(f"{site.url}{path}")
        html = page.content()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not [e for e in errors if "Content Security Policy" in e]


def test_a_doctor_sets_up_two_step_sign_in_and_signs_in_with_it(
    site: Site, browser: object
) -> None:
    expect = sync_api.expect
    create_user(site.svc, OPERATOR, "dr.new", Role.DOCTOR, password=PASSWORD, display_name="Dr New")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # type: ignore[attr-defined]

    def sign_in(code: str | None) -> None:
        page.goto(f"{site.url}/login")
        page.fill("input[name=username]", "dr.new")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        if code is not None:
            expect(page.locator("h1")).to_have_text("Sign-in code")
            page.fill("input[name=code]", code)
            page.click("main button[type=submit]")

    # Without a second factor, signing in leads to setting one up, and nowhere else.
    sign_in(None)
    expect(page.locator("h1")).to_have_text("Two-step sign-in")
    page.goto(f"{site.url}/clinic")
    expect(page.locator("h1")).to_have_text("Two-step sign-in")
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    _shot(page, "5-mfa-set-up")
    secret = page.locator("#totp-secret").inner_text()
    page.fill("input[name=code]", code_at(secret, step_of(datetime.now(UTC))))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("section[role=alert] h2")).to_contain_text("Two-step sign-in is on")
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    _shot(page, "5-mfa-recovery-codes")
    page.goto(f"{site.url}/clinic")
    expect(page.locator("h1")).to_have_text("My patients")
    page.get_by_role("button", name="Sign out").click()

    # Password, then the code; a wrong code is refused.
    sign_in("000000")
    expect(page.locator(".flash.error")).to_have_text("That code is not right.")
    _shot(page, "5-mfa-wrong-code")
    page.fill("input[name=code]", _code(secret))
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("My patients")
    page.get_by_role("button", name="Sign out").click()

    # A recovery code instead of the code: once.
    sign_in(codes[0])
    expect(page.locator("h1")).to_have_text("My patients")
    page.get_by_role("button", name="Sign out").click()
    sign_in(codes[0])
    expect(page.locator(".flash.error")).to_have_text("That code is not right.")
    page.goto(f"{site.url}/clinic")
    expect(page.locator("h1")).to_have_text("Sign in")
