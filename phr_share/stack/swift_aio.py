"""The local OpenStack Swift all-in-one: configs rendered from deploy/swift/, one-replica
rings built in-process, the account, container and object servers and the proxy started
as plain processes from the project's virtual environment."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from phr_share.stack.layout import Layout, Secrets, render
from phr_share.stack.processes import Service

__all__ = ["memcached", "proxy_config", "storage_services", "tempauth_proxy"]

_SERVERS = (
    ("account", "account-server"),
    ("container", "container-server"),
    ("object", "object-server"),
)
# 2**6 partitions: plenty for one device, and quick to build.
_PART_POWER = 6


def _server(name: str, conf: Path) -> list[str]:
    """How to start ``swift-<name>`` so that what it writes stays private (swift_server)."""
    return [sys.executable, "-m", "phr_share.stack.swift_server", name, str(conf), "--verbose"]


def _build_ring(layout: Layout, kind: str, host: str, port: int) -> None:
    """One replica on one device ``d1``; the same partitions every time it is rebuilt."""
    from swift.common.ring import RingBuilder  # heavy: only when a stack is built

    builder = RingBuilder(_PART_POWER, 1, 0)
    device = {"id": 0, "region": 1, "zone": 1, "ip": host, "port": port, "device": "d1"}
    builder.add_dev({**device, "weight": 100, "meta": ""})
    builder.rebalance()
    saved = (layout.swift_dir / f"{kind}.builder", layout.swift_dir / f"{kind}.ring.gz")
    builder.save(str(saved[0]))
    builder.get_ring().save(str(saved[1]))
    for path in saved:  # Swift writes a ring 0644 whatever the umask; its servers run as us
        path.chmod(0o600)


def storage_services(
    layout: Layout, host: str, secrets: Secrets, ports: dict[str, int]
) -> list[Service]:
    """Write swift.conf, the rings and the three servers' configs; their services."""
    swift_conf = layout.swift_dir / "swift.conf"
    render("deploy/swift", "swift.conf-sample", swift_conf, secrets.swift())
    services = []
    for kind, name in _SERVERS:
        service_name, port = f"swift-{kind}", ports[f"swift-{kind}"]
        _build_ring(layout, kind, host, port)
        conf = layout.swift_dir / f"{name}.conf"
        values = {**layout.swift_values(), "host": host, "port": port, "name": name}
        render("deploy/swift", "server.conf-sample", conf, {**values, "kind": kind})
        argv = _server(name, conf)
        log = str(layout.logs / f"{name}.log")
        services.append(Service(service_name, argv, host, port, log, "/healthcheck"))
    return services


def memcached(layout: Layout, host: str, port: int) -> Service | None:
    """memcached for the proxy's cache of account and container details (without it the
    proxy asks the account and container servers again on every request); None when it
    is not installed (``make`` installs Debian's)."""
    binary = shutil.which("memcached")
    if binary is None:
        return None
    argv = [binary, "-l", host, "-p", str(port), "-U", "0", "-m", "64"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]  # memcached will not run as root unless told to
    return Service("memcached", argv, host, port, str(layout.logs / "memcached.log"), "tcp")


def proxy_config(layout: Layout, template: str, values: dict[str, object]) -> Path:
    """Render a proxy config (0600: it holds a key or password) into the swift directory."""
    conf = layout.swift_dir / "proxy-server.conf"
    render("deploy/swift", template, conf, {**layout.swift_values(), **values})
    return conf


def tempauth_proxy(
    layout: Layout, host: str, port: int, secrets: Secrets, memcache: int | None = None
) -> Service:
    """The proxy with tempauth and self-validating Fernet tokens, caching account and
    container details in memcached on port ``memcache`` when the stack runs one."""
    values = {
        "host": host,
        "port": port,
        **secrets.tempauth(),
        "cache": "cache " if memcache else "",
        "memcache": f"{host}:{memcache or 0}",
    }
    conf = proxy_config(layout, "proxy-server.conf-sample", values)
    argv = _server("proxy-server", conf)
    log = str(layout.logs / "proxy-server.log")
    return Service("swift-proxy", argv, host, port, log, "/healthcheck")
