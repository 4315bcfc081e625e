"""Signing in through the pages: where it leads afterwards (no open redirect)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from phr_share.web.security import safe_next
from tests.unit.web.conftest import PASSWORD, Browser, People

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
