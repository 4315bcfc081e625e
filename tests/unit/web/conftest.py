"""The web app over the real database and in-memory object stores, through Flask's client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from phr_share.consent import Role
from phr_share.sharing import OPERATOR, Account, Services, create_user, issue_token
from phr_share.web import create_app
from tests.conftest import PATIENT
from tests.unit.sharing.conftest import services  # noqa: F401  (the fixture)

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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


@pytest.fixture
def people(services: Services) -> People:  # noqa: F811
    def make(name: str, role: Role, **kw: object) -> Account:
        return create_user(
            services, OPERATOR, name, role, password=PASSWORD, display_name=name.title(), **kw
        )  # type: ignore[arg-type]

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

    def login(self, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        self.get("/", follow_redirects=True)  # a signed-in page: the new session's token
        return response


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
