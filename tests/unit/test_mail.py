"""Mail through a real SMTP server (aiosmtpd, in this process): what a notice mail says,
and that a server that fails never fails the sender."""

from __future__ import annotations

import logging
import threading

import pytest

from phr_share.errors import ConfigurationError
from phr_share.mail import (
    NOTICE_SUBJECT,
    Mailer,
    SmtpServer,
    notice_message,
    parse_smtp_url,
    reset_message,
)
from phr_share.sharing import Services
from phr_share.stack.processes import free_port
from tests.unit.sharing.conftest import (  # noqa: F401  (the fixtures)
    Sink,
    services,
    sink,
)

SENDER = "PHR Share <no-reply@phr.example.org>"


def test_smtp_urls_name_the_server_and_how_tls_is_used() -> None:
    assert parse_smtp_url("smtp://127.0.0.1:8025") == SmtpServer("smtp", "127.0.0.1", 8025)
    secure = parse_smtp_url("smtps://mailer:p%40ss@mail.example.org")
    assert (secure.scheme, secure.port, secure.username, secure.password) == (
        "smtps",
        465,
        "mailer",
        "p@ss",
    )
    assert parse_smtp_url("smtp+starttls://mail.example.org").port == 587
    for bad in ("http://mail.example.org", "smtp://", "smtp://host:port"):
        with pytest.raises(ConfigurationError):
            parse_smtp_url(bad)


def test_a_notice_mail_says_only_that_a_notice_waits() -> None:
    message = notice_message(SENDER, "kim@demo.phr.invalid", "https://phr.example.org/")
    body = message.get_content()
    assert message["Subject"] == NOTICE_SUBJECT
    assert "https://phr.example.org/\n" in body
    assert body.startswith("Hello,\n")  # no name
    reset = reset_message(SENDER, "kim@demo.phr.invalid", "https://phr.example.org/x", 30)
    assert "within 30 minutes" in reset.get_content()


def test_mails_arrive_at_a_real_smtp_server(services: Services, sink: Sink) -> None:  # noqa: F811
    mailer = services.mailer()
    assert mailer.enabled
    mailer.post([notice_message(SENDER, "kim@demo.phr.invalid", services.settings.site_url)])
    [arrived] = sink.messages()
    assert arrived["Subject"] == NOTICE_SUBJECT
    assert sink.recipients == [["kim@demo.phr.invalid"]]
    assert (mailer.sent, mailer.failed) == (1, 0)


def test_a_server_that_is_down_is_counted_and_logged_without_the_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = Mailer(SmtpServer("smtp", "127.0.0.1", free_port("127.0.0.1"), timeout=2.0))
    with caplog.at_level(logging.WARNING, logger="phr_share.mail"):
        mailer.post([notice_message(SENDER, "kim@demo.phr.invalid", "https://phr.example.org")])
        mailer.drain()
    assert (mailer.sent, mailer.failed) == (0, 1)
    assert "could not be sent (ConnectionRefusedError)" in caplog.text
    assert "kim@" not in caplog.text
    mailer.close()


def test_no_server_means_no_mail() -> None:
    mailer = Mailer(None)
    mailer.post([notice_message(SENDER, "kim@demo.phr.invalid", "https://phr.example.org")])
    mailer.drain()
    assert (mailer.enabled, mailer.sent, mailer.failed) == (False, 0, 0)


def test_the_mailer_tells_how_many_mails_wait() -> None:
    held = threading.Event()
    mailer = Mailer(SmtpServer("smtp", "127.0.0.1", 8025), deliver=lambda _s, _m: held.wait(10))
    try:
        mailer.post(notice_message("a@example.org", to, "https://phr.example.org") for to in "bc")
        assert mailer.queued == 2  # one being sent, one behind it
    finally:
        held.set()
        mailer.drain()
        mailer.close()
    assert (mailer.queued, mailer.sent) == (0, 2)
