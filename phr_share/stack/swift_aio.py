"""The local OpenStack Swift all-in-one: configs rendered from deploy/swift/, one-replica
rings built in-process, four servers started as plain processes."""

from __future__ import annotations

import base64
import getpass
import os
import secrets
import sys
from pathlib import Path

from phr_share.resources import shipped_file
from phr_share.stack.processes import Service, free_port

__all__ = ["swift_services"]

_SERVERS = (
    ("account", "account-server"),
    ("container", "container-server"),
    ("object", "object-server"),
)


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _template(name: str) -> str:
    return shipped_file("deploy/swift", name).read_text(encoding="utf-8")


def _build_ring(swift_dir: Path, kind: str, port: int) -> None:
    from swift.common.ring import RingBuilder  # heavy; only when a stack is built

    builder = RingBuilder(6, 1, 0)
    builder.add_dev(
        {
            "id": 0,
            "region": 1,
            "zone": 1,
            "ip": "127.0.0.1",
            "port": port,
            "device": "d1",
            "weight": 100,
            "meta": "",
        }
    )
    builder.rebalance()
    builder.save(str(swift_dir / f"{kind}.builder"))
    builder.get_ring().save(str(swift_dir / f"{kind}.ring.gz"))


def swift_services(root: Path, key: str) -> list[Service]:
    """Render configs and rings under ``root``; the services to start (proxy last)."""
    swift_dir, devices, recon, logs = (root / d for d in ("swift", "devices", "recon", "logs"))
    for directory in (swift_dir, devices / "d1", recon, logs):
        directory.mkdir(parents=True, exist_ok=True)
    (swift_dir / "swift.conf").write_text(
        _template("swift.conf-sample").format(hash_suffix=secrets.token_hex(16))
    )
    common = {"user": getpass.getuser(), "swift_dir": swift_dir, "devices": devices, "recon": recon}
    services = []
    for kind, name in _SERVERS:
        port = free_port()
        _build_ring(swift_dir, kind, port)
        conf = swift_dir / f"{name}.conf"
        text = _template("server.conf-sample").format(port=port, name=name, kind=kind, **common)
        conf.write_text(text)
        services.append(
            Service(
                f"swift-{kind}",
                [_bin(f"swift-{name}"), str(conf)],
                port,
                str(logs / f"{name}.log"),
                "/healthcheck",
            )
        )
    proxy_port = free_port()
    conf = swift_dir / "proxy-server.conf"
    fernet = base64.urlsafe_b64encode(os.urandom(32)).decode()
    conf.write_text(
        _template("proxy-server.conf-sample").format(
            port=proxy_port, key=key, fernet_key=fernet, **common
        )
    )
    conf.chmod(0o600)
    services.append(
        Service(
            "swift-proxy",
            [_bin("swift-proxy-server"), str(conf)],
            proxy_port,
            str(logs / "proxy-server.log"),
            "/healthcheck",
        )
    )
    return services
