"""Use cases over the real database (SQLite, or PostgreSQL on the second pass), an in-memory
object store, and the local key store."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from phr_share.consent.totp import code_at, step_of
from phr_share.crypto import LocalKeyStore, ScryptCost
from phr_share.db import Database
from phr_share.policy import load_routing_policy
from phr_share.settings import Settings
from phr_share.sharing import Account, Services, confirm_enrolment, start_enrolment
from phr_share.stack.processes import free_port
from phr_share.storage import MemoryStore

SECRET = bytes(range(32))


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = Settings(
        state_dir=tmp_path,
        database_url=database_url,
        deid_secret=SECRET,
        kanon_k=3,
        store_concurrency=4,
        s3_bucket="research",
    )
    db = Database(database_url)
    db.migrate()
    svc = Services(
        settings=settings,
        db=db,
        private=MemoryStore(),
        public=MemoryStore(),
        keystore=LocalKeyStore(tmp_path / "keys"),
        routing=load_routing_policy(),
        deid_secret=SECRET,
        clock=lambda: datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
        # The production cost (32 MiB per hash) is exercised in tests/unit/consent.
        password_cost=ScryptCost(log_n=10),
    )
    yield svc
    svc.close()


def enrol(svc: Services, account: Account) -> str:
    """Set up TOTP for an account as its owner would, with a code of now; the secret."""
    secret = start_enrolment(svc, account.principal).secret
    confirm_enrolment(svc, account.principal, code_at(secret, step_of(svc.clock())))
    return secret


@pytest.fixture
def second_process(services: Services) -> Iterator[Services]:
    """Another web process (or this one after a restart) over the same database and state."""
    other = dataclasses.replace(
        services,
        db=Database(services.db.url.render_as_string(hide_password=False)),
        key_cache={},
        key_lock=threading.Lock(),
        _readers=None,
        _mfa_secret=None,
        _mailer=None,
    )
    yield other
    other.db.dispose()


class Sink:
    """A real SMTP server (aiosmtpd) in this process, keeping what it is sent."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.received: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        """What arrived, once every mail posted so far was sent."""
        self.svc.mailer().drain()
        return list(self.received)


@pytest.fixture
def sink(services: Services) -> Iterator[Sink]:
    """The services mail through a real SMTP server on loopback, to ``Sink``."""
    kept = Sink(services)
    port = free_port("127.0.0.1")
    controller = Controller(kept, hostname="127.0.0.1", port=port)
    controller.start()
    services.settings = dataclasses.replace(
        services.settings, smtp_url=f"smtp://127.0.0.1:{port}", public_url="https://phr.example.org"
    )
    try:
        yield kept
    finally:
        services.mailer().drain()
        controller.stop()
