"""A bad value is the caller's mistake: 422 naming the field and what is allowed (or a
404 for an id no route can hold), never a 500, in the API and on the pages alike."""

from __future__ import annotations

import html
from typing import Any

import pytest

from phr_share.models import MAX_ID, SegmentKind
from phr_share.sharing import (
    Services,
    accept_care,
    declare_emergency,
    ingest_document,
    invite_clinician,
    sensitivity_of,
)
from tests.conftest import DEMO_CCD, PATIENT
from tests.unit.web.conftest import Api, Browser, People

KINDS = ", ".join(SegmentKind)
LEVELS = "normal, restricted, very-restricted"
GRANTEE = "00000000-0000-4000-8000-000000000001"
# (who, method, path, what is sent, what the answer must say)
API_CASES: list[tuple[str, str, str, dict[str, Any], str]] = [
    (
        "patient",
        "post",
        "/api/v1/grants",
        {"json": {"grantee": GRANTEE, "purpose": "bogus"}},
        "purpose is one of: treatment, emergency",
    ),
    (
        "patient",
        "post",
        "/api/v1/grants",
        {"json": {"grantee": GRANTEE, "purpose": "research"}},
        "purpose is one of: treatment, emergency",
    ),
    (
        "patient",
        "post",
        "/api/v1/grants",
        {"json": {"grantee": GRANTEE, "kinds": ["bogus"]}},
        f"kinds is one of: {KINDS}",
    ),
    (
        "patient",
        "post",
        "/api/v1/grants",
        {"json": {"grantee": GRANTEE, "except": ["x"]}},
        f"except is one of: {KINDS}",
    ),
    (
        "patient",
        "post",
        "/api/v1/grants",
        {"json": {"grantee": GRANTEE, "kinds": "lifestyle"}},
        "kinds is a list",
    ),
    (
        "patient",
        "post",
        "/api/v1/grants",
        {"json": {"grantee": 7}},
        "grantee is an id (a UUID)",
    ),
    (
        "doctor",
        "get",
        f"/api/v1/patients/{PATIENT}/segments?purpose=research",
        {},
        "purpose is one of: treatment, emergency",
    ),
    (
        "doctor",
        "get",
        f"/api/v1/patients/{PATIENT}/vitals?purpose=curious",
        {},
        "purpose is one of: treatment, emergency",
    ),
    (
        "doctor",
        "get",
        f"/api/v1/patients/{PATIENT}/segments?per_page=1000",
        {},
        "per_page is a whole number from 1 to 100",
    ),
    (
        "doctor",
        "get",
        f"/api/v1/patients/{PATIENT}/segments?page=%C2%B2",  # a superscript two
        {},
        f"page is a whole number from 1 to {MAX_ID}",
    ),
    (
        "patient",
        "put",
        "/api/v1/sensitivity",
        {"json": {"lifestyle": "secret"}},
        f"lifestyle is one of: {LEVELS}",
    ),
    (
        "patient",
        "put",
        "/api/v1/sensitivity",
        {"json": {"personal": "normal"}},
        "a key is one of: health-status",
    ),
    (
        "patient",
        "put",
        "/api/v1/research",
        {"json": {"kinds": ["other"]}},  # the routing policy never releases it
        "kinds is one of: body-measures",
    ),
    (
        "patient",
        "post",
        "/api/v1/links",
        {"json": {"username": "dr.kim", "kinds": ["vitals"]}},
        f"kinds is one of: {KINDS}",
    ),
    (
        "patient",
        "post",
        "/api/v1/links",
        {"json": {"username": "dr.kim", "kinds": ["lifestyle"], "hours": 10**12}},
        "hours is a whole number from 1 to 720",
    ),
    (
        "patient",
        "post",
        "/api/v1/tokens",
        {"json": {"name": "script", "days": 10**12}},
        "days is a whole number from 1 to 366",
    ),
    (
        "patient",
        "post",
        "/api/v1/readings",
        {"json": {"pain": "²"}},  # str.isdigit() says yes, int() says no
        "pain: must be a whole number from 0 to 10",
    ),
    (
        "doctor",
        "post",
        f"/api/v1/patients/{PATIENT}/partners",
        {"json": {"username": "dr.partner", "kinds": ["bogus"]}},
        f"kinds is one of: {KINDS}",
    ),
    (
        "doctor",
        "post",
        f"/api/v1/patients/{PATIENT}/notes",
        {"json": {"text": 12}},
        "text is a string",
    ),
    (
        "admin",
        "post",
        "/api/v1/admin/emergencies/1/review",
        {"json": {"outcome": "maybe"}},
        "outcome is one of: justified, unjustified",
    ),
    (
        "admin",
        "post",
        "/api/v1/admin/accounts",
        {"json": {"username": "x.y", "role": "operator"}},
        "role is one of: doctor, nurse, researcher, admin",
    ),
    (
        "admin",
        "get",
        "/api/v1/admin/audit/entries?outcome=meh",
        {},
        "outcome is one of: ok, denied, failed",
    ),
    (
        "admin",
        "get",
        "/api/v1/admin/audit/entries?area=nowhere",
        {},
        "area is one of: ",
    ),
    (
        "admin",
        "get",
        "/api/v1/admin/audit/entries?before=99999999999999999999",
        {},
        f"before is a whole number from 1 to {MAX_ID}",
    ),
    (
        "researcher",
        "get",
        f"/api/v1/releases/{GRANTEE}/records?format=csv",
        {},
        "format is one of: json, jsonl, parquet",
    ),
    (
        "researcher",
        "get",
        f"/api/v1/releases/{GRANTEE}/records?kind=vitals",
        {},
        f"kind is one of: {KINDS}",
    ),
]


@pytest.fixture
def emergency(services: Services, people: People) -> int:
    ingest_document(services, people.patient.principal, DEMO_CCD.read_bytes(), PATIENT)
    return declare_emergency(services, people.doctor.principal, PATIENT, "found unconscious").id


@pytest.mark.parametrize(("who", "method", "path", "sent", "said"), API_CASES)
def test_a_bad_value_in_the_api_is_a_422_naming_what_is_allowed(
    api: dict[str, Api],
    emergency: int,
    who: str,
    method: str,
    path: str,
    sent: dict[str, Any],
    said: str,
) -> None:
    response = getattr(api[who], method)(path, **sent)
    assert response.status_code == 422
    assert said in response.get_json()["error"]["message"]


# (who, path, form, what the page must say)
PAGE_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("jordan", "/me/grants", {"grantee": GRANTEE, "purpose": "bogus"}, "purpose is one of"),
    ("jordan", "/me/grants", {"grantee": "dr.kim"}, "choose a clinician from your care team"),
    ("jordan", "/me/grants", {"grantee": GRANTEE, "kinds": ["x"]}, f"kinds is one of: {KINDS}"),
    (
        "jordan",
        "/me/sensitivity",
        {"level-lifestyle": "secret"},
        f"of Lifestyle is one of: default, {LEVELS}",
    ),
    ("jordan", "/me/research", {"release": ["personal"]}, "release is one of: body-measures"),
    (
        "jordan",
        "/me/links",
        {"doctor": "dr.kim", "kinds": ["lifestyle"], "hours": "99999999999"},
        "hours is a whole number from 1 to 720",
    ),
    ("jordan", "/account/tokens", {"name": "x", "days": "9" * 30}, "days is a whole number"),
    (
        "dr.kim",
        f"/clinic/patients/{PATIENT}/partner",
        {"username": "dr.partner", "kinds": ["x"]},
        f"kinds is one of: {KINDS}",
    ),
    ("admin", "/admin/emergencies/1/review", {"outcome": "maybe"}, "outcome is one of"),
    ("admin", "/admin/users", {"username": "x.y", "role": "system"}, "role is one of"),
]


@pytest.mark.parametrize(("who", "path", "form", "said"), PAGE_CASES)
def test_a_bad_value_on_a_page_is_a_422_page_naming_what_is_allowed(
    browser: Browser, emergency: int, who: str, path: str, form: dict[str, Any], said: str
) -> None:
    browser.login(who)
    response = browser.post(path, form)
    assert response.status_code == 422
    assert said in html.unescape(response.get_data(as_text=True))


def test_a_bad_sensitivity_level_changes_no_level(
    browser: Browser, services: Services, people: People
) -> None:
    browser.login("jordan")
    levels = {
        f"level-{k.value}": "restricted" for k in SegmentKind if k is not SegmentKind.PERSONAL
    }
    assert browser.post("/me/sensitivity", {**levels, "level-other": "secret"}).status_code == 422
    assert sensitivity_of(services, people.patient.principal) == {}


def test_an_audit_filter_on_the_page_is_checked_like_the_api(
    browser: Browser, people: People
) -> None:
    browser.login("admin")
    response = browser.get("/admin/audit?outcome=meh")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "outcome is one of: ok, denied, failed" in page
    # Answered on the audit page itself, its filter form there to correct it.
    assert "<h1>Audit log</h1>" in page
    assert "Something went wrong" not in page


def test_an_id_past_the_databases_integers_matches_no_route(
    api: dict[str, Api], browser: Browser, services: Services, people: People
) -> None:
    relationship = invite_clinician(services, people.patient.principal, people.doctor.id)
    accept_care(services, people.doctor.principal, relationship)
    # The id fuzzing found: an OverflowError from the database driver, answered 500.
    huge = api["patient"].post("/api/v1/care/947336021535070281661217318633472/accept")
    assert huge.status_code == 404
    assert huge.get_json()["error"] == {"code": "not-found", "message": "there is nothing here"}
    for beyond in (MAX_ID + 1, 0):
        assert api["patient"].post(f"/api/v1/grants/{beyond}/revoke").status_code == 404
    # The largest id the columns hold still reaches the use case, which finds nothing.
    largest = api["patient"].post(f"/api/v1/grants/{MAX_ID}/revoke")
    assert largest.status_code == 404
    assert largest.get_json()["error"]["message"] != "there is nothing here"
    browser.login("jordan")
    assert browser.post(f"/me/care/{MAX_ID + 1}/end").status_code == 404
    assert browser.post(f"/me/care/{relationship}/end").status_code == 302
