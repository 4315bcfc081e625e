"""``phr-share web --workers 2``: two gunicorn worker processes over one SQLite database
and the real local stack, sharing sessions and the sign-in throttle.

Which worker answered is read from /proc, with no hook in the product: a keep-alive
connection stays with the worker that accepted it, and that worker is the child of the
arbiter holding the server end of the connection's socket.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from phr_share.consent import Role
from phr_share.settings import Settings
from phr_share.sharing import OPERATOR, create_user, open_services
from phr_share.sharing.throttle import POLICY
from phr_share.stack import StackInfo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="gunicorn, /proc")

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TRIES = 60  # connections opened, at most, to reach a given worker


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server end of the loopback connection from ``client_port``."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


def _holder(pids: set[int], inode: str) -> int | None:
    """Which of ``pids`` has the socket ``inode`` open."""
    wanted = f"socket:[{inode}]"
    for pid in pids:
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if str(descriptor.readlink()) == wanted:
                    return pid
            except OSError:
                continue
    return None


@dataclass
class Browser:
    """Cookies kept across connections, each connection pinned to the worker it reached."""

    port: int
    workers: set[int]
    cookies: dict[str, str] = field(default_factory=dict)

    def connect(self, worker: int) -> http.client.HTTPConnection:
        """A keep-alive connection that ``worker`` serves (it has answered on it)."""
        for _ in range(TRIES):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            status, _, _ = self.ask(connection, "GET", "/login")
            assert status == 200
            if self.served_by(connection) == worker:
                return connection
            connection.close()
        raise AssertionError(f"worker {worker} answered none of {TRIES} connections")

    def served_by(self, connection: http.client.HTTPConnection) -> int | None:
        assert connection.sock is not None
        client_port = connection.sock.getsockname()[1]
        inode = _socket_inode(self.port, client_port)
        return None if inode is None else _holder(self.workers, inode)

    def ask(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
    ) -> tuple[int, str, http.client.HTTPMessage]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response.status, text, response.headers

    def post_form(
        self, worker: int, path: str, form: dict[str, str], page: str | None = None
    ) -> tuple[int, str, http.client.HTTPMessage]:
        """POST a form to ``worker``, with the CSRF token of the page it is on (``path``
        unless named)."""
        connection = self.connect(worker)
        try:
            _, page, _ = self.ask(connection, "GET", page or path)
            token = CSRF.search(page)
            assert token is not None
            return self.ask(connection, "POST", path, {**form, "csrf_token": token.group(1)})
        finally:
            connection.close()


@pytest.fixture
def served(stack: StackInfo, tmp_path: Path) -> Iterator[tuple[int, set[int]]]:
    """``phr-share web --workers 2`` on a free port, two accounts in its database: the
    port and the workers' PIDs."""
    env = {
        **os.environ,
        **stack.env,
        "PHR_STATE_DIR": str(tmp_path),
        "PHR_WEB_SECURE_COOKIES": "false",  # the test speaks plain HTTP on loopback
        "PHR_AUDIT_HEAD_INTERVAL": "0",
    }
    settings = Settings.from_env(env)
    svc = open_services(settings)
    try:
        for name in ("pat", "sam"):
            create_user(svc, OPERATOR, name, Role.PATIENT, password=PASSWORD)
    finally:
        svc.close()
    port = _free_port()
    command = [sys.executable, "-m", "phr_share.cli", "web", "--workers", "2", "--port", str(port)]
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        workers = _wait_for_workers(server, port, 2)
        yield port, workers
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
            raise
        finally:
            log.close()
    assert code == 0, (tmp_path / "web.log").read_text()
    assert not _children(server.pid)  # the workers are gone with it


def _wait_for_workers(server: subprocess.Popen[bytes], port: int, count: int) -> set[int]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, "phr-share web stopped while starting"
        workers = _children(server.pid)
        if len(workers) == count:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return workers
            except OSError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"{count} workers were not serving within 90 s")


def test_a_session_made_by_one_worker_is_honoured_by_the_other(
    served: tuple[int, set[int]],
) -> None:
    port, workers = served
    first, second = sorted(workers)
    browser = Browser(port, workers)
    status, _, headers = browser.post_form(
        first, "/login", {"username": "pat", "password": PASSWORD}
    )
    assert status == 302
    assert headers["Location"] in {"/", "/me"}
    connection = browser.connect(second)
    try:
        status, page, _ = browser.ask(connection, "GET", "/me")
        assert browser.served_by(connection) == second
    finally:
        connection.close()
    assert status == 200
    assert "Sign out" in page
    # Signing out on the second ends the session for the first too.
    status, _, _ = browser.post_form(second, "/logout", {}, page="/me")
    assert status == 302
    connection = browser.connect(first)
    try:
        status, _, headers = browser.ask(connection, "GET", "/me")
    finally:
        connection.close()
    assert status == 302
    assert "/login" in headers["Location"]


def test_failed_sign_ins_on_both_workers_add_up_to_the_lock_out(
    served: tuple[int, set[int]],
) -> None:
    port, workers = served
    order = sorted(workers)
    browser = Browser(port, workers)
    wrong = {"username": "sam", "password": "not the password"}
    for n in range(POLICY.per_account_here):
        status, _, _ = browser.post_form(order[n % 2], "/login", wrong)
        assert status == 401, f"try {n + 1} was held back already"
    # Three wrong passwords on one worker, two on the other: the right one is refused now,
    # by either.
    for worker in order:
        right = {"username": "sam", "password": PASSWORD}
        status, page, headers = browser.post_form(worker, "/login", right)
        assert status == 429
        assert "Too many wrong passwords" in page
        assert int(headers["Retry-After"]) > 0
