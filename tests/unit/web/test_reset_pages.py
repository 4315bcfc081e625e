"""The forgot-password pages, the e-mail address on sign-up and on the Account page,
over a real SMTP server in this process."""

from __future__ import annotations

import re

from phr_share.sharing import OPERATOR, Services, find_account
from tests.unit.sharing.conftest import (  # noqa: F401  (the fixture)
    Sink,
    sink,
)
from tests.unit.web.conftest import PASSWORD, Browser, People
from tests.unit.web.test_pages import text

SENT = "If an account has this address, we sent a link. It works for 30 minutes."
LINK = re.compile(r"https://phr\.example\.org(/login/reset/[A-Za-z0-9_-]{43})\s")
NEW = "a new long passphrase"


def _link(sink: Sink) -> str:  # noqa: F811
    found = LINK.search(sink.messages()[-1].get_content())
    assert found is not None
    return found.group(1)


def test_the_answer_is_the_same_and_the_link_sets_a_new_password_once(
    browser: Browser,
    people: People,
    services: Services,
    sink: Sink,  # noqa: F811
) -> None:
    assert 'href="/login/forgot"' in text(browser.get("/login"))
    assert "Username or e-mail address" in text(browser.get("/login/forgot"))
    unknown = browser.post("/login/forgot", {"name": "nobody@example.org"})
    assert SENT in text(unknown)
    browser.login("jordan")
    saved = browser.post("/account/email", {"email": "Jordan@Example.org"}, follow_redirects=True)
    assert "E-mail address saved." in text(saved)
    assert 'value="jordan@example.org"' in text(saved)  # the box holds it, to change
    refused = browser.post("/account/email", {"email": "not an address"})
    assert refused.status_code == 422
    assert "not an e-mail address" in text(refused)
    assert 'value="not an address"' in text(refused)  # what was typed stays
    browser.post("/logout")
    browser.get("/login/forgot")
    known = browser.post("/login/forgot", {"name": "jordan@example.org"})
    assert text(known) == text(unknown).replace("nobody@example.org", "jordan@example.org")
    path = _link(sink)
    page = browser.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    token = path.rsplit("/", 1)[1]
    differ = browser.post("/login/reset", {"token": token, "new": NEW, "confirm": "other"})
    assert differ.status_code == 422
    assert "The two passwords differ." in text(differ)
    done = browser.post("/login/reset", {"token": token, "new": NEW, "confirm": NEW})
    assert done.headers["Location"] == "/login"
    browser.login("jordan", NEW)
    assert "My data" in text(browser.get("/me"))
    gone = browser.get(path)
    assert gone.status_code == 410
    assert "This link was already used, or it is more than 30 minutes old." in text(gone)
    again = browser.post("/login/reset", {"token": token, "new": NEW, "confirm": NEW})
    assert again.status_code == 410
    browser.post("/logout")
    browser.login("admin")
    assert "✔ 1 sent, 0 failed since start" in text(browser.get("/admin"))


def test_sign_up_takes_an_optional_address_and_says_why(
    browser: Browser, services: Services
) -> None:
    page = text(browser.get("/signup"))
    assert "optional: for notices and to reset a forgotten password" in page
    form = {"username": "mia.ro", "password": PASSWORD, "confirm": PASSWORD}
    made = browser.post("/signup", {**form, "email": "Mia@Example.org"})
    assert made.status_code == 302
    assert find_account(services, OPERATOR, username="mia.ro").email == "mia@example.org"
    taken = Browser(browser.client.application.test_client())
    refused = taken.post("/signup", {**form, "username": "mia.two", "email": "mia@example.org"})
    assert refused.status_code == 422
    assert "belongs to another account" in text(refused)
