"""Starting, recording and stopping the stack's processes (by the PIDs we recorded)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from phr_share.errors import StoreUnavailable

__all__ = ["Service", "free_port", "is_running", "load", "save", "start", "stop", "wait_until"]

HOST = "127.0.0.1"
# Processes this interpreter started, kept so they are reaped (and Popen does not warn)
# when stopped; processes from an earlier run are stopped by PID alone.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(slots=True)
class Service:
    """One process of the stack: how to start it again, and where it listens."""

    name: str
    argv: list[str]
    port: int
    log: str
    health: str  # an http path answered when ready, or "" for a plain TCP check
    pid: int = 0
    env: dict[str, str] | None = None


def free_port() -> int:
    """A port nothing listens on right now, on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start(service: Service) -> None:
    """Start the process detached, logs to its file; records its PID on the service."""
    log = Path(service.log).open("ab")  # noqa: SIM115 - handed over to the child process
    environment = {**os.environ, **(service.env or {})}
    process = subprocess.Popen(  # noqa: S603 - argv is built by this package, not by input
        service.argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=environment,
        start_new_session=True,
    )
    log.close()
    service.pid = process.pid
    _children[process.pid] = process


def answering(service: Service, timeout: float = 1.0) -> bool:
    """Whether the service answers on its port (its health path, when it has one)."""
    if service.health:
        url = f"http://{HOST}:{service.port}{service.health}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as reply:
                return 200 <= int(reply.status) < 500
        except OSError:
            return False
    with contextlib.suppress(OSError), socket.create_connection((HOST, service.port), timeout):
        return True
    return False


def wait_until(service: Service, seconds: float = 30.0) -> None:
    """Wait for the service to answer; StoreUnavailable naming its log when it does not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answering(service):
            return
        if not is_running(service.pid):
            break
        time.sleep(0.1)
    raise StoreUnavailable(f"{service.name} did not start; see {service.log}")


def is_running(pid: int) -> bool:
    """Whether a process with this PID is alive (and not a zombie)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return True
    return status != "Z"


def stop(service: Service, grace: float = 5.0) -> bool:
    """SIGTERM the process group, SIGKILL after ``grace`` seconds; True if it was running."""
    if not is_running(service.pid):
        _children.pop(service.pid, None)
        return False
    _signal(service.pid, signal.SIGTERM)
    if not _wait(service.pid, grace):
        _signal(service.pid, signal.SIGKILL)
        _wait(service.pid, grace)
    return True


def _signal(pid: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, number)


def _wait(pid: int, seconds: float) -> bool:
    """Wait for the process to end (reaping it when it is our child)."""
    child = _children.get(pid)
    if child is not None:
        try:
            child.wait(seconds)
        except subprocess.TimeoutExpired:
            return False
        del _children[pid]
        return True
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.05)
    return not is_running(pid)


def save(path: Path, services: list[Service]) -> None:
    """Record the services (with PIDs) atomically."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps([asdict(s) for s in services], indent=2))
    temporary.replace(path)


def load(path: Path) -> list[Service]:
    """The recorded services; none when nothing was started here."""
    try:
        return [Service(**entry) for entry in json.loads(path.read_text())]
    except (OSError, ValueError):
        return []
