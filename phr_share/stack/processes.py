"""Starting, recording and stopping the stack's processes, by the PIDs we recorded.

A PID alone is not trusted: the kernel's start time of the process is recorded with it,
so a PID reused by an unrelated process after a reboot is never signalled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from phr_share.errors import StoreUnavailable
from phr_share.keyfile import PRIVATE_UMASK, private_append, private_dir

__all__ = [
    "Service",
    "answering",
    "child_environment",
    "free_port",
    "is_running",
    "load",
    "locked",
    "port_is_free",
    "save",
    "start",
    "stop_all",
    "wait_until",
]

# Variables of an operator's own OpenStack or AWS session never reach the stack's processes.
_PRIVATE_PREFIXES = ("OS_", "AWS_", "PHR_")
# Processes this interpreter started, kept so they are reaped (and Popen does not warn)
# when stopped; processes from an earlier run are stopped by PID alone.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(slots=True)
class Service:
    """One process of the stack: how to start it again, where it listens, its PID."""

    name: str
    argv: list[str]
    host: str
    port: int
    log: str
    health: str  # an HTTP path answered when ready, or "tcp": a connection taken
    env: dict[str, str] = field(default_factory=dict)
    pid: int = 0
    started: int = 0  # the kernel's start time of the process, in clock ticks since boot


def free_port(host: str) -> int:
    """A port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    """Whether ``port`` can be bound on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do, so connections of an earlier run in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    """The environment a stack process gets: ours without credentials, plus ``extra``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_PREFIXES)}
    return {**inherited, **extra}


def start(service: Service) -> None:
    """Start the process in its own session, output to its log (0600); records PID and
    start time. What the process writes is its owner's alone (umask 077)."""
    with private_append(Path(service.log)) as log:
        try:
            process = subprocess.Popen(  # noqa: S603 - argv is built by this package
                service.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=child_environment(service.env),
                start_new_session=True,
                umask=PRIVATE_UMASK,
            )
        except OSError as error:
            raise StoreUnavailable(f"{service.name} cannot start: no {service.argv[0]}") from error
    service.pid = process.pid
    service.started = _start_time(process.pid)
    _children[process.pid] = process


def _start_time(pid: int) -> int:
    """Field 22 of /proc/PID/stat (0 where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[19])


def is_running(service: Service) -> bool:
    """Whether the recorded process is alive, not a zombie, and still the one we started."""
    if service.pid <= 0:
        return False
    try:
        os.kill(service.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # not ours: another user's process took the PID
    try:
        state = Path(f"/proc/{service.pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except (OSError, IndexError):
        return True
    return state != "Z" and (not service.started or _start_time(service.pid) == service.started)


def answering(service: Service, timeout: float = 1.0) -> bool:
    """Whether the service answers its health path with anything but a server error (or,
    for a health of ``tcp``, takes a connection)."""
    if service.health == "tcp":
        try:
            with socket.create_connection((service.host, service.port), timeout=timeout):
                return True
        except OSError:
            return False
    url = f"http://{service.host}:{service.port}{service.health}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return int(reply.status) < 500
    except urllib.error.HTTPError as error:
        return int(error.code) < 500
    except (OSError, ValueError):
        return False


def wait_until(services: Sequence[Service], seconds: float = 60.0) -> None:
    """Wait for every service to answer; StoreUnavailable naming the first that did not."""
    deadline = time.monotonic() + seconds
    for service in services:
        while not answering(service):
            if not is_running(service) or time.monotonic() > deadline:
                raise StoreUnavailable(
                    f"{service.name} did not come up on {service.host}:{service.port}; "
                    f"see {service.log}"
                )
            time.sleep(0.1)


def stop_all(services: Sequence[Service], grace: float = 5.0) -> list[str]:
    """SIGTERM each process group, SIGKILL what is left after ``grace`` s; names stopped."""
    running = [s for s in services if is_running(s)]
    for service in running:
        _signal(service.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for service in running:
        if not _wait(service, deadline):
            _signal(service.pid, signal.SIGKILL)
            _wait(service, time.monotonic() + grace)
    for service in services:
        _forget(service.pid)
        service.pid, service.started = 0, 0
    return [s.name for s in running]


def _forget(pid: int) -> None:
    """Drop our handle on a child that ended, reaping it first (no zombie, no warning)."""
    child = _children.pop(pid, None)
    if child is not None and child.poll() is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(1.0)


def _signal(pid: int, number: signal.Signals) -> None:
    # Each service leads its own session (start_new_session), so its group is its own:
    # gunicorn's workers go with their master.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, number)


def _wait(service: Service, deadline: float) -> bool:
    """Wait until the process is gone (reaping it when it is our child)."""
    child = _children.get(service.pid)
    if child is not None:
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        return True
    while time.monotonic() < deadline:
        if not is_running(service):
            return True
        time.sleep(0.05)
    return not is_running(service)


def save(path: Path, record: dict[str, object], services: Sequence[Service]) -> None:
    """Record the stack (its flavour and services with their PIDs) atomically."""
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    document = {**record, "services": [asdict(s) for s in services]}
    # 0600: the record holds the settings of stack.env, keys included.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    temporary.replace(path)


def load(path: Path) -> tuple[dict[str, object], list[Service]]:
    """The recorded stack and its services; nothing when nothing was started here."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, list):  # the first format: a bare list of services
            document = {"flavour": "tempauth", "host": "127.0.0.1", "services": document}
        services = [Service(**_upgraded(entry)) for entry in document.pop("services")]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}, []
    return document, services


def _upgraded(entry: dict[str, Any]) -> dict[str, Any]:
    """A service entry in the current form (the first one had no host, env could be null)."""
    return {**entry, "host": entry.get("host") or "127.0.0.1", "env": entry.get("env") or {}}


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (one up/down at a time per state directory)."""
    private_dir(path.parent)
    with private_append(path) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
