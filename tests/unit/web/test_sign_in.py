"""Signing in through the pages: where it leads afterwards (no open redirect), the
throttle per account and address, and the second factor."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask

from phr_share.audit import Action
from phr_share.sharing import OPERATOR, Services, audit_entries, issue_token
from phr_share.web import create_app
from phr_share.web.security import safe_next
from tests.unit.sharing.conftest import second_process  # noqa: F401  (the fixture)
from tests.unit.web.conftest import PASSWORD, SECRETS, Api, Browser, People, next_code

# Every way of writing another site that browsers read as one; as the `next` value
# arrives (the query or form decoded once).
OFF_SITE = [
    "//evil.example",
    "//evil.example/me",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",  # GET /login?next=/%09/evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/%09/evil.example",  # encoded twice: read once more, it is the one above
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "https://evil.example",
    "https:evil.example",
    "HTTPS://EVIL.EXAMPLE",
    "hTtP://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/..//evil.example",
    "/./..//evil.example",
    "/me/..//evil.example",
    "/%2e%2e//evil.example",
    "/me/../..",
    "/\u2215evil.example",  # DIVISION SLASH
    "\u2215\u2215evil.example",
    "/\u2044evil.example",  # FRACTION SLASH
    "/\uff0f/evil.example",  # FULLWIDTH SOLIDUS
    "\uff0f\uff0fevil.example",
    "/\u29f8evil.example",  # BIG SOLIDUS
    "/\uff3cevil.example",  # FULLWIDTH REVERSE SOLIDUS
    "/me\x00/x",
    "evil.example",
    "",
]
ON_SITE = ["/", "/me", "/me/sharing", "/me/history?own=1#visits", "/clinic/patients/abc-123"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_no_way_of_writing_another_site_is_followed(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ON_SITE)
def test_a_path_on_this_site_is_followed(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", OFF_SITE)
def test_after_signing_in_the_answer_stays_on_the_site(
    browser: Browser, people: People, target: str
) -> None:
    form = browser.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next"' not in form
    browser.get("/login")
    signed_in = browser.post("/login", {"username": "jordan", "password": PASSWORD, "next": target})
    assert signed_in.status_code == 302
    location = signed_in.headers["Location"]
    assert location == "/"
    parts = urlsplit(location.translate({9: None, 10: None, 13: None}))
    assert (parts.scheme, parts.netloc) == ("", "")


def test_the_issues_example_leads_home(browser: Browser, people: People) -> None:
    form = browser.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert "evil" not in form
    browser.get("/login?next=/me/sharing")
    signed_in = browser.post(
        "/login", {"username": "jordan", "password": PASSWORD, "next": "/me/sharing"}
    )
    assert signed_in.headers["Location"] == "/me/sharing"


# -- the throttle, through the pages -------------------------------------------------


def _from(browser: Browser, address: str) -> Browser:
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def _guess(browser: Browser, username: str, times: int) -> list[int]:
    return [
        browser.post("/login", {"username": username, "password": f"guess {n} wrong"}).status_code
        for n in range(times)
    ]


def test_one_person_cannot_lock_an_address_out(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    clinic = _from(browser, "127.0.0.2")
    clinic.get("/login")
    assert _guess(clinic, "jordan", 5) == [401] * 5
    held = clinic.post("/login", {"username": "jordan", "password": PASSWORD})
    assert held.status_code == 429
    assert held.headers["Retry-After"] == "900"
    # How long, and until when on the clock (the account has no zone yet: UTC).
    until = (services.clock() + timedelta(minutes=15)).astimezone(UTC)
    assert (
        f"Too many wrong passwords for this account. Try again in 15 minutes (at {until:%H:%M})."
        in held.get_data(as_text=True)
    )
    colleague = _from(Browser(app.test_client()), "127.0.0.2")  # the same clinic address
    assert colleague.login("other").status_code == 302
    home = _from(Browser(app.test_client()), "127.0.0.3")  # jordan, from home
    assert home.login("jordan").status_code == 302
    later = services.clock() + timedelta(minutes=13)
    services.clock = lambda: later
    held = clinic.post("/login", {"username": "jordan", "password": PASSWORD})
    assert "Try again in 2 minutes (at " in held.get_data(as_text=True)


def test_a_password_change_is_not_held_back_by_someone_elses_guesses(
    app: Flask, browser: Browser, people: People
) -> None:
    attacker = _from(Browser(app.test_client()), "127.0.0.2")
    attacker.get("/login")
    assert _guess(attacker, "dr.kim", 5) == [401] * 5
    jordan = _from(browser, "127.0.0.2")
    jordan.login("jordan")
    new = "a much better passphrase"
    changed = jordan.post("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert changed.headers["Location"] == "/account/tokens"
    for _ in range(5):
        jordan.post("/account/password", {"current": "guess", "new": new, "confirm": new})
    newer = {"current": new, "new": new + "!", "confirm": new + "!"}
    held = jordan.post("/account/password", newer)
    assert held.status_code == 429
    assert int(held.headers["Retry-After"]) > 0
    assert "Try again in 15 minutes (at " in held.get_data(as_text=True)


@pytest.fixture
def second_app(second_process: Services) -> Flask:  # noqa: F811
    """Another web process over the same database and state directory."""
    return create_app(second_process.settings, second_process, {"TESTING": True})


def test_a_second_web_process_sees_the_same_counts(
    app: Flask, second_app: Flask, people: People
) -> None:
    first, second = Browser(app.test_client()), Browser(second_app.test_client())
    first.get("/login")
    second.get("/login")
    assert _guess(first, "jordan", 3) + _guess(second, "jordan", 2) == [401] * 5
    for browser in (first, second):
        held = browser.post("/login", {"username": "jordan", "password": PASSWORD})
        assert held.status_code == 429


# -- the second factor --------------------------------------------------------------


def test_a_doctor_signs_in_with_password_and_code(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    browser.get("/login")
    asked = browser.post("/login", {"username": "dr.kim", "password": PASSWORD, "next": "/clinic"})
    assert asked.headers["Location"] == "/login/code?next=/clinic"
    assert browser.get("/clinic").headers["Location"].startswith("/login")  # not signed in yet
    page = browser.get("/login/code?next=/clinic").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    wrong = browser.post("/login/code", {"code": "000000", "next": "/clinic"})
    assert wrong.status_code == 401
    assert "That code is not right." in wrong.get_data(as_text=True)
    code = next_code(services, SECRETS[(services.settings.database_url, "dr.kim")])
    done = browser.post("/login/code", {"code": code, "next": "/clinic"})
    assert done.headers["Location"] == "/clinic"
    assert browser.get("/clinic").status_code == 200
    replayed = Browser(app.test_client())
    replayed.get("/login")
    replayed.post("/login", {"username": "dr.kim", "password": PASSWORD})
    replayed.get("/login/code")
    assert replayed.post("/login/code", {"code": code}).status_code == 401
    actions = [e.action for e in audit_entries(services, OPERATOR)]
    assert Action.MFA_FAIL in actions
    assert Action.MFA_VERIFY in actions


def test_the_code_must_come_within_five_minutes(
    browser: Browser, people: People, services: Services
) -> None:
    browser.get("/login")
    browser.post("/login", {"username": "dr.kim", "password": PASSWORD})
    browser.get("/login/code")
    later = services.clock() + timedelta(minutes=6)
    services.clock = lambda: later
    code = next_code(services, SECRETS[(services.settings.database_url, "dr.kim")])
    late = browser.post("/login/code", {"code": code})
    assert late.headers["Location"] == "/login"
    assert "within 5 minutes" in browser.get("/login").get_data(as_text=True)
    assert browser.get("/login/code").headers["Location"] == "/login"


def test_wrong_codes_are_throttled_and_say_so(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    _from(browser, "127.0.0.2").get("/login")
    browser.post("/login", {"username": "nurse.lee", "password": PASSWORD})
    browser.get("/login/code")
    assert [browser.post("/login/code", {"code": f"{n:06d}"}).status_code for n in range(5)] == [
        401
    ] * 5
    elsewhere = _from(Browser(app.test_client()), "127.0.0.3")
    elsewhere.get("/login")
    elsewhere.post("/login", {"username": "nurse.lee", "password": PASSWORD})
    elsewhere.get("/login/code")
    code = next_code(services, SECRETS[(services.settings.database_url, "nurse.lee")])
    held = elsewhere.post("/login/code", {"code": code})
    assert held.status_code == 429
    assert "Too many wrong codes for this account. Try again in" in held.get_data(as_text=True)


def test_staff_without_a_second_factor_can_only_set_one_up(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    browser.get("/login")
    admin = Browser(app.test_client())
    admin.login("admin")
    admin.post("/admin/users", {"username": "dr.new", "role": "doctor", "password": PASSWORD})
    signed_in = browser.post("/login", {"username": "dr.new", "password": PASSWORD})
    assert signed_in.headers["Location"] == "/account/mfa"
    for path in ["/clinic", "/account/tokens", "/", f"/clinic/patients/{people.patient.id}"]:
        assert browser.get(path, follow_redirects=True).request.path == "/account/mfa", path
    refused = browser.client.get("/api/v1/me", headers={"Accept": "application/json"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["reason"] == "mfa-required"
    tokens = browser.client.post(
        "/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": browser.token}
    )
    assert (tokens.status_code, tokens.get_json()["error"]["reason"]) == (403, "mfa-required")
    page = browser.get("/account/mfa").get_data(as_text=True)
    assert re.search(r'<img class="qr" src="data:image/svg\+xml', page)
    assert "nothing else opens" in page
    assert "<script>" not in page
    wrong = browser.post("/account/mfa/confirm", {"code": "000000"})
    assert wrong.status_code == 403
    secret, codes = browser.set_up_mfa()
    assert len(codes) == 10
    assert browser.get("/clinic").status_code == 200
    assert Action.MFA_ENROL in [e.action for e in audit_entries(services, OPERATOR)]
    account = Browser(app.test_client())  # and from now on, the code is asked
    account.get("/login")
    asked = account.post("/login", {"username": "dr.new", "password": PASSWORD})
    assert asked.headers["Location"].startswith("/login/code")
    account.get("/login/code")
    assert account.post("/login/code", {"code": next_code(services, secret)}).status_code == 302


def test_a_recovery_code_signs_in_once(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")  # a patient opts in
    assert "Set up two-step sign-in" in browser.get("/account/tokens").get_data(as_text=True)
    _, codes = browser.set_up_mfa()
    assert "10 recovery codes left" in browser.get("/account/tokens").get_data(as_text=True)
    for attempt, expected in [(1, 302), (2, 401)]:
        other = Browser(app.test_client())
        other.get("/login")
        other.post("/login", {"username": "jordan", "password": PASSWORD})
        other.get("/login/code")
        assert other.post("/login/code", {"code": codes[0]}).status_code == expected, attempt
    assert Action.MFA_RECOVERY_USED in [e.action for e in audit_entries(services, OPERATOR)]
    renewed = browser.post("/account/mfa/recovery", {"code": codes[1]})
    fresh = re.findall(r"<li><code>([0-9a-z-]{11})</code></li>", renewed.get_data(as_text=True))
    assert len(fresh) == 10
    assert not set(fresh) & set(codes)
    removed = browser.post("/account/mfa/remove", {"code": fresh[0]})
    assert removed.headers["Location"] == "/account/mfa"
    assert Browser(app.test_client()).login("jordan").headers["Location"] == "/"  # no code


def test_an_admin_resets_a_lost_second_factor(
    app: Flask, browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    doctor, admin = browser, other_browser
    doctor.login("dr.kim")
    admin.login("admin")
    staff = admin.get("/admin").get_data(as_text=True)
    assert f"/admin/users/{people.doctor.id}/mfa-reset" in staff
    assert admin.post(f"/admin/users/{people.doctor.id}/mfa-reset").status_code == 302
    assert "Second factor reset, 1 session(s) signed out" in admin.get("/admin").get_data(
        as_text=True
    )
    assert doctor.get("/clinic").headers["Location"].startswith("/login")  # signed out
    nothing = admin.post(f"/admin/users/{people.doctor.id}/mfa-reset")
    assert nothing.status_code == 302
    assert "Not reset" in admin.get("/admin").get_data(as_text=True)
    doctor.get("/login")
    again = doctor.post("/login", {"username": "dr.kim", "password": PASSWORD})
    assert again.headers["Location"] == "/account/mfa"
    told = doctor.get("/account/mfa").get_data(as_text=True)
    assert "An administrator removed your second factor" in told
    assert "An administrator removed" not in doctor.get("/account/mfa").get_data(as_text=True)
    assert Action.MFA_RESET in [e.action for e in audit_entries(services, OPERATOR)]


def test_a_token_of_staff_whose_factor_was_reset_opens_nothing(
    app: Flask, services: Services, people: People
) -> None:
    token = issue_token(services, people.nurse.principal, "script").token
    api = Api(app.test_client(), token)
    assert api.get("/api/v1/me").status_code == 200
    admin = Browser(app.test_client())
    admin.login("admin")
    admin.post(f"/admin/users/{people.nurse.id}/mfa-reset")
    refused = api.get("/api/v1/me")
    assert (refused.status_code, refused.get_json()["error"]["reason"]) == (403, "mfa-required")
