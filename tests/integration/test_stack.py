"""The local stack: real Swift and S3 (and Keystone) on loopback only, recorded by PID."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
from pathlib import Path

import pytest

from phr_share import stack as local_stack
from phr_share.errors import ConfigurationError, StoreUnavailable
from phr_share.settings import Settings, parse_env_file
from phr_share.stack import StackInfo
from phr_share.stack.processes import Service
from phr_share.storage import open_private_store, open_public_store

SWIFT_AND_S3 = {"swift-account", "swift-container", "swift-object", "swift-proxy", "s3", "smtp"}
# The tempauth stack also runs the proxy's cache where memcached is installed.
TEMPAUTH_SERVICES = SWIFT_AND_S3 | ({"memcached"} if shutil.which("memcached") else set())


def _socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets a process (or any of its children) holds open."""
    inodes = set()
    pids = {pid} | {int(p) for p in _children(pid)}
    for one in pids:
        for fd in Path(f"/proc/{one}/fd").iterdir():
            try:
                target = str(fd.readlink())
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, from /proc/net."""
    inodes = _socket_inodes(pid)
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:
                address, port = local.split(":")
                found.add((_address(address), int(port, 16)))
    return found


def _address(hexadecimal: str) -> str:
    if len(hexadecimal) == 8:
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hexadecimal)[::-1])
    return hexadecimal  # IPv6: anything here is a failure anyway


def _assert_loopback_only(info: StackInfo) -> None:
    # Now, not as at start: fault tests elsewhere restart services (with new PIDs).
    for service in local_stack.status(info.state_dir):
        assert service.running, service.name
        assert service.answering, service.name
        listening = _listening(service.pid)
        assert ("127.0.0.1", service.port) in listening, service.name
        assert {address for address, _ in listening} == {"127.0.0.1"}, service.name


def test_every_service_answers_on_loopback_only(stack: StackInfo) -> None:
    assert {s.name for s in stack.services} == TEMPAUTH_SERVICES
    _assert_loopback_only(stack)


def test_stack_env_is_written_private_and_reaches_both_stores(stack: StackInfo) -> None:
    env_file = stack.state_dir / "stack.env"
    assert parse_env_file(env_file.read_text()) == stack.env
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((stack.state_dir / "stack").stat().st_mode) == 0o700
    assert stack.env["PHR_SWIFT_AUTH_VERSION"] == "1"
    assert stack.env["PHR_KMS_ENDPOINT_URL"] == stack.env["PHR_S3_ENDPOINT_URL"]
    settings = Settings.from_env({"PHR_STATE_DIR": str(stack.state_dir)})
    assert settings.swift_auth_url.startswith("http://127.0.0.1:")
    open_private_store(settings).check()
    open_public_store(settings).check()


def test_up_again_returns_the_running_stack(stack: StackInfo) -> None:
    before = local_stack.status(stack.state_dir)
    again = local_stack.up(stack.state_dir)
    assert list(again.services) == before
    assert again.env == stack.env


def test_the_other_flavour_is_refused_while_one_runs(stack: StackInfo) -> None:
    with pytest.raises(ConfigurationError, match="stack down"):
        local_stack.up(stack.state_dir, keystone=True)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::1", "localhost"])  # noqa: S104
def test_only_an_ipv4_loopback_address_is_bound(tmp_path: Path, host: str) -> None:
    with pytest.raises(ConfigurationError, match="loopback"):
        local_stack.up(tmp_path, host=host)
    assert local_stack.status(tmp_path) == []


def test_up_down_status_and_data_kept_across_a_restart(tmp_path: Path) -> None:
    info = local_stack.up(tmp_path)
    try:
        store = open_private_store(Settings.from_env({"PHR_STATE_DIR": str(tmp_path)}))
        store.ensure_container("kept")
        store.put("kept", "object", b"still here", {"kind": "test"})
        pids = [s.pid for s in info.services]
        stopped = local_stack.down(tmp_path)
        assert sorted(stopped) == sorted(TEMPAUTH_SERVICES)
        assert not (tmp_path / "stack.env").exists()
        assert not any(s.running or s.answering for s in local_stack.status(tmp_path))
        assert not any(_alive(pid) for pid in pids)
        assert local_stack.down(tmp_path) == []
        again = local_stack.up(tmp_path)
        assert again.env == info.env  # same ports (free again) and same secrets
        assert store.get("kept", "object").data == b"still here"
    finally:
        local_stack.down(tmp_path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"


def test_a_service_that_does_not_come_up_is_named_and_the_rest_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(layout: object, host: str, port: int) -> Service:
        argv = [sys.executable, "-c", "raise SystemExit(3)"]
        return Service("s3", argv, host, port, str(tmp_path / "s3.log"), "/")

    monkeypatch.setattr(local_stack, "_moto", broken)
    with pytest.raises(StoreUnavailable, match=r"s3 did not come up.*s3\.log"):
        local_stack.up(tmp_path)
    statuses = local_stack.status(tmp_path)
    assert {s.name for s in statuses} == TEMPAUTH_SERVICES
    assert not any(s.running for s in statuses)


def test_stop_and_start_a_service_by_name(tmp_path: Path) -> None:
    info = local_stack.up(tmp_path)
    try:
        port = next(s.port for s in info.services if s.name == "s3")
        local_stack.stop_service(tmp_path, "s3")
        s3 = next(s for s in local_stack.status(tmp_path) if s.name == "s3")
        assert not s3.running
        assert not s3.answering
        local_stack.start_service(tmp_path, "s3")
        s3 = next(s for s in local_stack.status(tmp_path) if s.name == "s3")
        assert (s3.port, s3.running, s3.answering) == (port, True, True)
        with pytest.raises(ConfigurationError, match="no service named"):
            local_stack.stop_service(tmp_path, "nope")
    finally:
        local_stack.down(tmp_path)


def test_keystone_flavour_serves_swift_behind_keystone_on_loopback(
    keystone_stack: StackInfo,
) -> None:
    assert {s.name for s in keystone_stack.services} == SWIFT_AND_S3 | {"keystone"}
    _assert_loopback_only(keystone_stack)
    assert keystone_stack.keystone
    env = keystone_stack.env
    assert env["PHR_SWIFT_AUTH_VERSION"] == "3"
    assert env["PHR_SWIFT_AUTH_URL"].endswith("/v3")
    assert env["PHR_SWIFT_PROJECT"] == "phr-share"
    settings = Settings.from_env({"PHR_STATE_DIR": str(keystone_stack.state_dir)})
    open_private_store(settings).check()


def test_a_relative_state_directory_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `make run` uses the relative "var"; the Swift servers change directory to / on start.
    monkeypatch.chdir(tmp_path)
    info = local_stack.up(Path("var"))
    try:
        assert all(service.answering for service in info.services)
    finally:
        local_stack.down(Path("var"))
