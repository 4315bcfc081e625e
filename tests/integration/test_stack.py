"""The local stack: real Swift and S3 on loopback only, stopped by the PIDs recorded."""

from __future__ import annotations

import subprocess
from pathlib import Path

from phr_share import stack as local_stack
from phr_share.settings import Settings, parse_env_file
from phr_share.stack import StackInfo
from phr_share.storage import open_private_store, open_public_store


def _listening(pid: int) -> set[str]:
    """Local addresses the process listens on (from ss)."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    return {line.split()[3].rsplit(":", 1)[0] for line in out.splitlines() if f"pid={pid}," in line}


def test_every_service_answers_on_loopback_only(stack: StackInfo) -> None:
    assert {s.name for s in stack.services} == {
        "swift-account",
        "swift-container",
        "swift-object",
        "swift-proxy",
        "s3",
    }
    for service in stack.services:
        assert service.running, service.name
        assert service.answering, service.name
        assert _listening(service.pid) <= {"127.0.0.1"}, service.name


def test_stack_env_reaches_both_stores(stack: StackInfo, tmp_path: Path) -> None:
    written = parse_env_file((stack.state_dir / "stack.env").read_text())
    assert written == stack.env
    settings = Settings.from_env({"PHR_STATE_DIR": str(stack.state_dir)})
    assert settings.swift_auth_url.startswith("http://127.0.0.1:")
    open_private_store(settings).check()
    open_public_store(settings).check()


def test_up_down_status_in_a_fresh_directory(tmp_path: Path) -> None:
    info = local_stack.up(tmp_path)
    try:
        again = local_stack.up(tmp_path)
        assert [s.pid for s in again.services] == [s.pid for s in info.services]
    finally:
        stopped = local_stack.down(tmp_path)
    assert sorted(stopped) == sorted(s.name for s in info.services)
    assert not any(s.running for s in local_stack.status(tmp_path))
    assert not (tmp_path / "stack.env").exists()
    assert local_stack.down(tmp_path) == []
