"""Everything a run writes in the state directory is its owner's alone.

The index database holds break-glass reasons, display names, hashes and wrapped keys;
the logs and the stack's device directory hold ids and Swift's own databases. A real
run (the stack, an account, an ingest, a read, the web app) is made through the
command line in processes started with the usual umask 022, and every directory and
file it left in the state directory is then stat'ed: directories 0700, files 0600
(Swift's objects 0700, as below).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from phr_share.stack.processes import Service, answering, free_port
from tests.conftest import DEMO_CCD, PATIENT

PASSWORD = "correct horse battery"
# What most shells start programs with: files 0644, directories 0755.
USUAL_UMASK = 0o022


def _environment(state: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PHR_")}
    return {**inherited, "PHR_STATE_DIR": str(state), "PHR_S3_BUCKET": "private-state"}


def _cli(state: Path, *argv: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "phr_share.cli", *argv],
        env=_environment(state),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        umask=USUAL_UMASK,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _too_open(state: Path) -> list[str]:
    """Every path under ``state`` (itself included) that is not 0700 (a directory) or 0600
    (a file). Swift opens its objects and lock files with the default mode 0777, so those
    are 0700 under the same umask: the owner's alone as well."""
    devices = state / "stack" / "devices"
    found = []
    for path in [state, *state.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            allowed = {0o700}
        elif devices in path.parents:
            allowed = {0o600, 0o700}
        else:
            allowed = {0o600}
        if stat.S_IMODE(mode) not in allowed:
            found.append(f"{path.relative_to(state.parent)} {stat.S_IMODE(mode):o}")
    return found


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "state"
    try:
        yield directory
    finally:
        _cli(directory, "stack", "down")


def _serve(state: Path) -> subprocess.Popen[str]:
    port = free_port("127.0.0.1")
    web = subprocess.Popen(
        [sys.executable, "-m", "phr_share.cli", "web", "--port", str(port)],
        env=_environment(state),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        umask=USUAL_UMASK,
    )
    assert web.stdout is not None
    # The command prints its address once it listens: no polling, no sleeping.
    for line in web.stdout:
        if "PHR Share is at" in line:
            break
    assert answering(Service("web", [], "127.0.0.1", port, "", "/login"))
    return web


def test_a_run_leaves_only_owner_only_directories_and_files(state: Path) -> None:
    _cli(state, "stack", "up")
    _cli(
        state,
        "user",
        "add",
        "jordan",
        "--role",
        "patient",
        "--patient",
        str(PATIENT),
        stdin=PASSWORD,
    )
    report = json.loads(_cli(state, "ingest", str(DEMO_CCD), "--patient", str(PATIENT), "--json"))
    tracking = report[0]["segments"][1]["tracking_id"]
    _cli(state, "get", tracking, "--as", "jordan", stdin=PASSWORD)
    web = _serve(state)
    try:
        # While the app holds the database open, its -wal and -shm files exist too.
        created = {p.name for p in state.rglob("*")}
        assert {"phr-share.db", "phr-share.db-wal", "phr-share.db-shm"} <= created
        assert {"stack.env", "deid.secret", "web.secret", "proxy-server.log", "d1"} <= created
        assert any(p.suffix == ".data" for p in (state / "stack" / "devices").rglob("*"))
        while_serving = _too_open(state)
    finally:
        web.send_signal(signal.SIGINT)  # as Ctrl-C: the app closes what it holds
        web.communicate(timeout=30)
    _cli(state, "stack", "down")
    assert while_serving == [], "\n".join(while_serving)
    assert _too_open(state) == []
