"""E-mail: the one corner that speaks SMTP (``smtplib``), for notices and reset links.

A mail holds no patient data: it says that something waits on the site and links to it
(the notices page, or a reset link). Mails are posted to one background thread, so a
slow or broken server never holds up, fails or rolls back what made the notice; a mail
that cannot be sent is logged (never its address or body) and counted.

``PHR_SMTP_URL`` names the server: ``smtp://host:port`` (plain, for a relay on
loopback), ``smtp+starttls://user:pass@host:587`` or ``smtps://user:pass@host:465``
(TLS, the certificate verified against the system's authorities).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from phr_share.errors import ConfigurationError

__all__ = [
    "NOTICE_SUBJECT",
    "RESET_SUBJECT",
    "Mailer",
    "SmtpServer",
    "notice_message",
    "parse_smtp_url",
    "reset_message",
]

NOTICE_SUBJECT = "You have a new notice in PHR Share"
RESET_SUBJECT = "Set a new password for PHR Share"
_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where mail goes: host, port, how TLS is used, and the login if any."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""
    timeout: float = 10.0


def parse_smtp_url(url: str) -> SmtpServer:
    """The server a ``PHR_SMTP_URL`` names; ConfigurationError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ConfigurationError(
            "PHR_SMTP_URL must be smtp://host:port, smtp+starttls://host:port or smtps://host:port"
        )
    try:
        port = parts.port or _SCHEMES[parts.scheme]
    except ValueError:
        raise ConfigurationError("PHR_SMTP_URL has a port that is not a number") from None
    return SmtpServer(
        parts.scheme,
        parts.hostname,
        port,
        unquote(parts.username or ""),
        unquote(parts.password or ""),
    )


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="phr-share.invalid")
    message.set_content(body)
    return message


def notice_message(sender: str, to: str, site: str) -> EmailMessage:
    """The mail telling that a notice waits: a greeting, the link, nothing about it."""
    body = (
        "Hello,\n\n"
        "You have a new notice in PHR Share. To read it, sign in:\n\n"
        f"{site.rstrip('/')}/\n\n"
        "For your privacy this e-mail says nothing more.\n"
        "You get it because your PHR Share account has this e-mail address.\n"
    )
    return _message(sender, to, NOTICE_SUBJECT, body)


def reset_message(sender: str, to: str, link: str, minutes: int) -> EmailMessage:
    """The mail with a reset link; it works once, for ``minutes``."""
    body = (
        "Hello,\n\n"
        "Someone asked to set a new password for your PHR Share account.\n"
        f"If it was you, open this link within {minutes} minutes:\n\n"
        f"{link}\n\n"
        "The link works once. If you did not ask, do nothing: your password stays as it is.\n"
    )
    return _message(sender, to, RESET_SUBJECT, body)


def _deliver(server: SmtpServer, message: EmailMessage) -> None:
    """Send one message (a new connection each time: mails are few)."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    with smtp:
        if server.scheme == "smtp+starttls":
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password)
        smtp.send_message(message)


class Mailer:
    """Sends mails in the background to one server (none: nothing is sent); counts
    what was sent and what failed."""

    def __init__(
        self,
        server: SmtpServer | None,
        deliver: Callable[[SmtpServer, EmailMessage], None] = _deliver,
    ) -> None:
        self.server = server
        self.sent = 0
        self.failed = 0
        self._deliver = deliver
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    @property
    def enabled(self) -> bool:
        """Whether mails are sent at all."""
        return self.server is not None

    @property
    def queued(self) -> int:
        """Mails posted and not yet sent or failed."""
        with self._lock:
            return sum(not f.done() for f in self._pending)

    def post(self, messages: Iterable[EmailMessage]) -> None:
        """Send these in the background; never raises, whatever the server does."""
        if self.server is None:
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, "phr-mail")
            self._pending = [f for f in self._pending if not f.done()]
            for message in messages:
                self._pending.append(self._pool.submit(self._send, self.server, message))

    def _send(self, server: SmtpServer, message: EmailMessage) -> None:
        try:
            self._deliver(server, message)
        except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
            with self._lock:
                self.failed += 1
            # The kind of failure only: never the address or the body.
            _log.warning("an e-mail could not be sent (%s)", type(error).__name__)
            return
        with self._lock:
            self.sent += 1

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every posted mail was sent or failed."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout)

    def close(self) -> None:
        """Send what is posted, then stop the thread."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
