"""The web app over the real database and in-memory object stores, through Flask's client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from phr_share.consent import Role
from phr_share.consent.totp import STEP_SECONDS, code_at, step_of
from phr_share.sharing import OPERATOR, Account, Services, create_user, issue_token
from phr_share.web import create_app
from tests.conftest import PATIENT
from tests.unit.sharing.conftest import (
    enrol,
    services,  # noqa: F401  (the fixture)
)

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOTP_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
RECOVERY_CODE = re.compile(r"<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>")


@dataclass
class People:
    patient: Account
    doctor: Account
    partner: Account
    nurse: Account
    researcher: Account
    admin: Account
    other: Account


@pytest.fixture
def app(services: Services) -> Flask:  # noqa: F811
    config = {"TESTING": True, "PREFERRED_URL_SCHEME": "https"}
    return create_app(services.settings, services, config)


# The TOTP secrets of the accounts a test set up, by (database, username).
SECRETS: dict[tuple[str, str], str] = {}


def set_up_mfa(svc: Services, account: Account) -> str:
    """Set up TOTP for an account (its secret is kept for signing in); the secret."""
    secret = enrol(svc, account)
    SECRETS[(svc.settings.database_url, account.username)] = secret
    return secret


def next_code(svc: Services, secret: str) -> str:
    """A code not used before: the clock moves on one step first (it stands still in tests)."""
    later = svc.clock() + timedelta(seconds=STEP_SECONDS)
    svc.clock = lambda: later
    return code_at(secret, step_of(later))


@pytest.fixture
def people(services: Services) -> People:  # noqa: F811
    def make(name: str, role: Role, **kw: object) -> Account:
        account = create_user(
            services, OPERATOR, name, role, password=PASSWORD, display_name=name.title(), **kw
        )  # type: ignore[arg-type]
        if role in services.settings.require_mfa_roles:  # staff come with a second factor
            set_up_mfa(services, account)
        return account

    return People(
        make("jordan", Role.PATIENT, patient_id=PATIENT),
        make("dr.kim", Role.DOCTOR),
        make("dr.partner", Role.DOCTOR),
        make("nurse.lee", Role.NURSE),
        make("lab", Role.RESEARCHER),
        make("admin", Role.ADMIN),
        make("other", Role.PATIENT),
    )


class Browser:
    """A Flask test client that signs in and carries the CSRF token like a browser."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""
        self.username = ""

    def get(self, path: str, **kw: object):  # type: ignore[no-untyped-def]
        response = self.client.get(path, **kw)
        if response.mimetype == "text/html":
            found = CSRF.search(response.get_data(as_text=True))
            if found:
                self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, **kw: object):  # type: ignore[no-untyped-def]
        if not self.token:
            self.get("/login")
        form = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=form, **kw)

    @property
    def services(self) -> Services:
        return self.client.application.extensions["phr_share"]  # type: ignore[no-any-return]

    def login(self, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        """Sign in, with a fresh code when the account has a second factor."""
        self.username = username
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        if response.headers.get("Location", "").startswith("/login/code"):
            secret = SECRETS[(self.services.settings.database_url, username)]
            self.get(response.headers["Location"])
            response = self.post("/login/code", {"code": next_code(self.services, secret)})
        self.get("/", follow_redirects=True)  # a signed-in page: the new session's token
        return response

    def set_up_mfa(self) -> tuple[str, list[str]]:
        """Set up TOTP on the Account page, as a person with a phone would: the secret
        and the recovery codes shown."""
        page = self.get("/account/mfa").get_data(as_text=True)
        found = TOTP_SECRET.search(page)
        assert found is not None, "no secret on the set-up page"
        secret = found.group(1)
        done = self.post("/account/mfa/confirm", {"code": next_code(self.services, secret)})
        assert done.status_code == 200
        SECRETS[(self.services.settings.database_url, self.username)] = secret
        return secret, RECOVERY_CODE.findall(done.get_data(as_text=True))


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def other_browser(app: Flask) -> Browser:
    return Browser(app.test_client())


class Api:
    """A client that sends one account's bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers=self.headers, **kw)

    def put(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.put(path, headers=self.headers, **kw)


def token_for(svc: Services, account: Account, name: str = "tests", **kw: Any) -> str:
    """An API token for the account (``ttl`` as issue_token's): the one way the web
    tests get one."""
    return issue_token(svc, account.principal, name, **kw).token


@pytest.fixture
def api(app: Flask, services: Services, people: People) -> dict[str, Api]:  # noqa: F811
    client = app.test_client()
    return {
        name: Api(client, token_for(services, getattr(people, name)))
        for name in ("patient", "doctor", "partner", "nurse", "researcher", "admin", "other")
    }
