"""The local stack: a real OpenStack Swift all-in-one and an S3 endpoint (moto server),
on loopback only, started as plain processes whose PIDs are recorded and stopped by PID.

State lives in ``<state_dir>/stack/``: configs, rings, the device directory, logs and
``services.json``; the settings that reach the stack go to ``<state_dir>/stack.env``.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from phr_share.errors import ConfigurationError, StoreUnavailable
from phr_share.settings import STACK_ENV_FILE, parse_env_file
from phr_share.stack import processes
from phr_share.stack.processes import Service, free_port
from phr_share.stack.swift_aio import swift_services

__all__ = ["ServiceStatus", "StackInfo", "down", "start_service", "status", "stop_service", "up"]


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """One service: its PID and port, whether the process runs and whether it answers."""

    name: str
    pid: int
    port: int
    running: bool
    answering: bool


@dataclass(frozen=True, slots=True)
class StackInfo:
    """A running stack: the PHR_* settings that reach it, and its services."""

    state_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    services: tuple[ServiceStatus, ...] = ()


def _root(state_dir: Path) -> Path:
    return state_dir / "stack"


def _record(state_dir: Path) -> Path:
    return _root(state_dir) / "services.json"


def _moto(root: Path) -> Service:
    port = free_port()
    argv = [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    return Service("s3", argv, port, str(root / "logs" / "moto.log"), "/moto-api/")


def up(state_dir: Path, *, keystone: bool = False) -> StackInfo:
    """Start the stack (or return the running one); StoreUnavailable if a service fails."""
    if keystone:
        raise ConfigurationError("this build starts Swift with tempauth only")
    running = status(state_dir)
    if running and all(s.answering for s in running):
        return _info(state_dir)
    down(state_dir)
    root = _root(state_dir)
    key = secrets.token_urlsafe(24)
    services = [*swift_services(root, key), _moto(root)]
    try:
        for service in services:
            processes.start(service)
            processes.save(_record(state_dir), services)
        for service in services:
            processes.wait_until(service)
    except StoreUnavailable:
        down(state_dir)
        raise
    proxy = next(s for s in services if s.name == "swift-proxy")
    s3 = next(s for s in services if s.name == "s3")
    env = {
        "PHR_SWIFT_AUTH_URL": f"http://127.0.0.1:{proxy.port}/auth/v1.0",
        "PHR_SWIFT_AUTH_VERSION": "1",
        "PHR_SWIFT_USER": "phr:phr",
        "PHR_SWIFT_KEY": key,
        "PHR_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3.port}",
        "PHR_S3_ACCESS_KEY_ID": "local",
        "PHR_S3_SECRET_ACCESS_KEY": "local-secret",
        "PHR_KMS_ENDPOINT_URL": f"http://127.0.0.1:{s3.port}",
    }
    env_file = state_dir / STACK_ENV_FILE
    env_file.write_text(
        "# Written by `phr-share stack up`: how to reach the local stack.\n"
        + "".join(f"{k}={v}\n" for k, v in env.items())
    )
    env_file.chmod(0o600)
    return _info(state_dir)


def _info(state_dir: Path) -> StackInfo:
    try:
        env = parse_env_file((state_dir / STACK_ENV_FILE).read_text())
    except OSError:
        env = {}
    return StackInfo(state_dir, env, tuple(status(state_dir)))


def down(state_dir: Path) -> list[str]:
    """Stop every recorded process (SIGTERM, then SIGKILL); the names that were running."""
    stopped = [s.name for s in processes.load(_record(state_dir)) if processes.stop(s)]
    (state_dir / STACK_ENV_FILE).unlink(missing_ok=True)
    return stopped


def status(state_dir: Path) -> list[ServiceStatus]:
    """Every recorded service: running, answering."""
    return [
        ServiceStatus(
            s.name,
            s.pid,
            s.port,
            processes.is_running(s.pid),
            processes.is_running(s.pid) and processes.answering(s),
        )
        for s in processes.load(_record(state_dir))
    ]


def _named(state_dir: Path, name: str) -> tuple[list[Service], Service]:
    services = processes.load(_record(state_dir))
    for service in services:
        if service.name == name:
            return services, service
    raise ConfigurationError(f"no service named {name} was started here")


def stop_service(state_dir: Path, name: str) -> None:
    """Stop one service (fault tests); it keeps its port for a restart."""
    _, service = _named(state_dir, name)
    processes.stop(service, grace=2.0)


def start_service(state_dir: Path, name: str) -> None:
    """Start one stopped service again on the same port and wait until it answers."""
    services, service = _named(state_dir, name)
    if processes.is_running(service.pid):
        return
    processes.start(service)
    processes.save(_record(state_dir), services)
    processes.wait_until(service)
