"""The local stack: a real OpenStack Swift all-in-one, an S3 endpoint (moto server) and
an SMTP server that keeps what it is sent (:mod:`phr_share.stack.mail_sink`),
optionally with Swift behind a real Keystone v3, on loopback only, started as plain
processes whose PIDs are recorded and stopped by PID.

State lives in ``<state_dir>/stack/``: configs, rings, the device directory, logs, the
delivered mails (``maildir/``), the secrets (0600) and ``services.json``; the settings
that reach the stack go to ``<state_dir>/stack.env``, which :mod:`phr_share.settings`
reads beneath the environment.

It lives in the package, not beside it under ``deploy/``, because the ``phr-share
stack`` command (and ``make run`` through it) ships with the package and runs from an
installed wheel, with the Swift and Keystone templates it fills in (the wheel carries
them, :mod:`phr_share.resources` finds them). It is still no part of the runtime: the
web app and the use cases never import it, only the CLI's ``stack`` command does
(:mod:`phr_share.cli.store`), and Swift and aiosmtpd, from the ``stack`` extra, are
imported nowhere else and only when a stack is built or its mail server starts. The
import-linter contracts in ``pyproject.toml`` keep it so.
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass, field
from pathlib import Path

from phr_share.errors import ConfigurationError, StoreUnavailable
from phr_share.keyfile import private_dir
from phr_share.settings import STACK_ENV_FILE
from phr_share.stack import processes
from phr_share.stack.keystone import Keystone
from phr_share.stack.layout import Layout, Secrets, write_private
from phr_share.stack.processes import Service
from phr_share.stack.swift_aio import memcached, storage_services, tempauth_proxy

__all__ = [
    "ServiceStatus",
    "StackInfo",
    "down",
    "maildir",
    "start_service",
    "status",
    "stop_service",
    "up",
]

_S3_KEYS = {"PHR_S3_ACCESS_KEY_ID": "phr-local", "PHR_S3_SECRET_ACCESS_KEY": "phr-local-secret"}


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
    keystone: bool = False


def _layout(state_dir: Path) -> Layout:
    # Absolute: the Swift servers change directory to / as they start.
    return Layout(state_dir.resolve() / "stack")


def maildir(state_dir: Path) -> Path:
    """Where the stack's SMTP server keeps the mails delivered to it."""
    return _layout(state_dir).maildir


def _check_host(host: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigurationError(f"the stack binds an IPv4 loopback address, not {host}") from None
    if address.version != 4 or not address.is_loopback:
        raise ConfigurationError(f"the stack binds an IPv4 loopback address, not {host}")


def up(state_dir: Path, *, keystone: bool = False, host: str = "127.0.0.1") -> StackInfo:
    """Start the stack, or return it when it runs; StoreUnavailable names a failed service."""
    _check_host(host)
    private_dir(state_dir)
    layout = _layout(state_dir)
    with processes.locked(layout.lock):
        record, services = processes.load(layout.record)
        running = bool(services) and "env" in record
        if running and all(processes.is_running(s) for s in services):
            _check_flavour(state_dir, record, keystone, host)
        if not (running and _healthy(services)):
            processes.stop_all(services)  # what is left of a stack that half died
            record = _start(layout, keystone, host, {s.name: s.port for s in services})
        _write_env(state_dir, record)
    return _info(state_dir)


def _healthy(services: list[Service]) -> bool:
    """Every process runs and answers (allowing a few seconds, as after a restart)."""
    if not all(processes.is_running(s) for s in services):
        return False
    try:
        processes.wait_until(services, 5.0)
    except StoreUnavailable:
        return False
    return True


def _check_flavour(state_dir: Path, record: dict[str, object], keystone: bool, host: str) -> None:
    flavour = "keystone" if keystone else "tempauth"
    if record.get("flavour") != flavour or record.get("host") != host:
        raise ConfigurationError(
            f"the stack in {state_dir} already runs ({record.get('flavour')} on "
            f"{record.get('host')}): stop it with `phr-share stack down` first"
        )


def _ports(host: str, names: list[str], previous: dict[str, int]) -> dict[str, int]:
    """The ports of the last run where they are still free, else new free ones."""
    chosen: dict[str, int] = {}
    for name in names:
        port = previous.get(name, 0)
        while not port or port in chosen.values() or not processes.port_is_free(host, port):
            port = processes.free_port(host)
        chosen[name] = port
    return chosen


def _moto(layout: Layout, host: str, port: int) -> Service:
    argv = [str(Path(sys.executable).parent / "moto_server"), "-H", host, "-p", str(port)]
    return Service("s3", argv, host, port, str(layout.logs / "moto.log"), "/moto-api/")


def _smtp(layout: Layout, host: str, port: int) -> Service:
    argv = [sys.executable, "-m", "phr_share.stack.mail_sink", host, str(port), str(layout.maildir)]
    return Service("smtp", argv, host, port, str(layout.logs / "smtp.log"), "tcp")


def _start(
    layout: Layout, keystone: bool, host: str, previous: dict[str, int]
) -> dict[str, object]:
    """Render, start and wait for every service; the record (with env) of the new stack."""
    layout.create()
    secrets = Secrets.load_or_create(layout.root / "secrets.json")
    names = ["swift-account", "swift-container", "swift-object", "swift-proxy", "s3", "smtp"]
    names += [] if keystone else ["memcached"]
    ports = _ports(host, [*names, "keystone"] if keystone else names, previous)
    identity = Keystone.create(layout, host, ports["keystone"], secrets) if keystone else None
    record: dict[str, object] = {"flavour": "keystone" if keystone else "tempauth", "host": host}
    started: list[Service] = []
    try:
        _launch(layout, record, started, storage_services(layout, host, secrets, ports))
        _launch(layout, record, started, [_moto(layout, host, ports["s3"])])
        _launch(layout, record, started, [_smtp(layout, host, ports["smtp"])])
        if identity is None:
            cache = memcached(layout, host, ports["memcached"])
            if cache is not None:
                _launch(layout, record, started, [cache])
            memcache = None if cache is None else cache.port
            proxy = tempauth_proxy(layout, host, ports["swift-proxy"], secrets, memcache)
            _launch(layout, record, started, [proxy])
            swift_env = _tempauth_env(host, proxy.port, secrets)
        else:
            swift_env = _start_keystone(layout, record, started, identity, ports["swift-proxy"])
        processes.wait_until(started)
    except BaseException:
        processes.stop_all(started)
        processes.save(layout.record, record, started)
        raise
    smtp_env = {"PHR_SMTP_URL": f"smtp://{host}:{ports['smtp']}"}
    record["env"] = {**swift_env, **_s3_env(host, ports["s3"]), **smtp_env}
    processes.save(layout.record, record, started)
    return record


def _start_keystone(
    layout: Layout,
    record: dict[str, object],
    started: list[Service],
    identity: Keystone,
    proxy_port: int,
) -> dict[str, str]:
    """Set Keystone up, serve it, register Swift and PHR Share, start the proxy behind it."""
    identity.setup()
    gunicorn = identity.service()
    _launch(layout, record, started, [gunicorn])
    processes.wait_until([gunicorn])
    identity.register(proxy_port)
    proxy = identity.proxy(proxy_port)
    _launch(layout, record, started, [proxy])
    processes.wait_until([proxy])
    identity.verify(proxy_port)
    return identity.env()


def _launch(
    layout: Layout, record: dict[str, object], started: list[Service], new: list[Service]
) -> None:
    """Start each new service and record it (with its PID) at once."""
    for service in new:
        started.append(service)
        processes.start(service)
        processes.save(layout.record, record, started)


def _tempauth_env(host: str, port: int, secrets: Secrets) -> dict[str, str]:
    return {
        "PHR_SWIFT_AUTH_URL": f"http://{host}:{port}/auth/v1.0",
        "PHR_SWIFT_AUTH_VERSION": "1",
        "PHR_SWIFT_USER": "phr:phr",
        "PHR_SWIFT_KEY": secrets.swift_key,
    }


def _s3_env(host: str, port: int) -> dict[str, str]:
    # moto serves S3 and KMS on the same endpoint, and accepts any credentials.
    endpoint = f"http://{host}:{port}"
    return {"PHR_S3_ENDPOINT_URL": endpoint, **_S3_KEYS, "PHR_KMS_ENDPOINT_URL": endpoint}


def _write_env(state_dir: Path, record: dict[str, object]) -> None:
    env = record.get("env")
    lines = "".join(f"{k}={v}\n" for k, v in env.items()) if isinstance(env, dict) else ""
    header = "# Written by `phr-share stack up`: how to reach the local stack. Do not edit.\n"
    write_private(state_dir / STACK_ENV_FILE, header + lines)


def _info(state_dir: Path) -> StackInfo:
    record, _ = processes.load(_layout(state_dir).record)
    env = record.get("env")
    values = {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {}
    keystone = record.get("flavour") == "keystone"
    return StackInfo(state_dir, values, tuple(status(state_dir)), keystone)


def down(state_dir: Path) -> list[str]:
    """Stop every recorded process (SIGTERM, then SIGKILL); the names that were running."""
    layout = _layout(state_dir)
    if not layout.record.exists():
        return []
    with processes.locked(layout.lock):
        record, services = processes.load(layout.record)
        stopped = processes.stop_all(services)
        record.pop("env", None)
        processes.save(layout.record, record, services)
        (state_dir / STACK_ENV_FILE).unlink(missing_ok=True)
    return stopped


def status(state_dir: Path) -> list[ServiceStatus]:
    """Every recorded service: its PID and port, running, answering."""
    _, services = processes.load(_layout(state_dir).record)
    found = []
    for s in services:
        running = processes.is_running(s)
        found.append(
            ServiceStatus(s.name, s.pid, s.port, running, running and processes.answering(s))
        )
    return found


def _named(services: list[Service], name: str) -> Service:
    for service in services:
        if service.name == name:
            return service
    known = ", ".join(s.name for s in services) or "none"
    raise ConfigurationError(f"no service named {name} in this stack (known: {known})")


def stop_service(state_dir: Path, name: str) -> None:
    """Stop one service (for fault tests); it keeps its port for start_service."""
    layout = _layout(state_dir)
    with processes.locked(layout.lock):
        record, services = processes.load(layout.record)
        processes.stop_all([_named(services, name)], grace=3.0)
        processes.save(layout.record, record, services)


def start_service(state_dir: Path, name: str) -> None:
    """Start a stopped service again on its port; StoreUnavailable if it does not answer."""
    layout = _layout(state_dir)
    with processes.locked(layout.lock):
        record, services = processes.load(layout.record)
        service = _named(services, name)
        if not processes.is_running(service):
            if not processes.port_is_free(service.host, service.port):
                raise StoreUnavailable(f"port {service.port} of {name} is taken by another process")
            processes.start(service)
            processes.save(layout.record, record, services)
        processes.wait_until([service])
