"""Local state is the owner's alone: the umask, directories, files, the SQLite database."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from phr_share.cli import main
from phr_share.db import Database
from phr_share.keyfile import private_append, private_dir, private_file
from phr_share.settings import Settings
from phr_share.sharing import Services, open_services
from phr_share.web import create_app
from tests.unit.sharing.conftest import services  # noqa: F401  (the fixture)

# What most shells start programs with: files 0644, directories 0755.
USUAL_UMASK = 0o022


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    before = os.umask(USUAL_UMASK)
    try:
        yield
    finally:
        os.umask(before)


def _current_umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


@pytest.mark.usefixtures("usual_umask")
def test_private_dir_makes_every_missing_part_0700_and_narrows_an_open_one(
    tmp_path: Path,
) -> None:
    deep = private_dir(tmp_path / "state" / "stack" / "logs")
    assert [_mode(p) for p in (tmp_path / "state", deep.parent, deep)] == [0o700] * 3
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    assert _mode(private_dir(shared)) == 0o700


@pytest.mark.usefixtures("usual_umask")
def test_private_files_are_made_or_narrowed_to_0600(tmp_path: Path) -> None:
    made = private_file(tmp_path / "made")
    old = tmp_path / "old.log"
    old.write_text("kept\n")
    assert _mode(old) == 0o644
    with private_append(old) as log:
        log.write(b"more\n")
    with private_append(tmp_path / "new.log") as log:
        log.write(b"first\n")
    assert [_mode(p) for p in (made, old, tmp_path / "new.log")] == [0o600] * 3
    assert old.read_text() == "kept\nmore\n"


@pytest.mark.usefixtures("usual_umask")
def test_the_sqlite_index_and_its_journal_files_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "state" / "phr-share.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    with db.engine.connect() as connection:  # held open: the -wal and -shm files exist
        connection.execute(text("SELECT 1"))
        files = [path, path.with_name("phr-share.db-wal"), path.with_name("phr-share.db-shm")]
        assert [_mode(p) for p in files] == [0o600] * 3
    db.dispose()


@pytest.mark.usefixtures("usual_umask")
def test_an_older_world_readable_index_is_narrowed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "phr-share.db"
    Database(f"sqlite:///{path}").migrate()
    path.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600


@pytest.mark.usefixtures("usual_umask")
def test_the_command_line_sets_the_owner_only_umask_first() -> None:
    assert _current_umask() == USUAL_UMASK
    with pytest.raises(SystemExit):  # argparse ends the run after printing the version
        main(["--version"], stdout=io.StringIO())
    assert _current_umask() == 0o077


@pytest.mark.usefixtures("usual_umask")
def test_the_wsgi_entry_sets_the_owner_only_umask(services: Services) -> None:  # noqa: F811
    assert _current_umask() == USUAL_UMASK
    create_app(services.settings, services)
    assert _current_umask() == 0o077


@pytest.mark.usefixtures("usual_umask")
def test_opening_the_services_narrows_the_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "var"
    state.mkdir(mode=0o755)
    settings = Settings(
        state_dir=state,
        swift_auth_url="http://127.0.0.1:9/auth/v1.0",  # never reached: nothing is stored
        swift_user="phr:phr",
        swift_key="unused",
        s3_endpoint_url="http://127.0.0.1:9",
    )
    svc = open_services(settings)
    svc.close()
    assert _mode(state) == 0o700
    assert _mode(state / "phr-share.db") == 0o600


# Each child waits for the go file, so that all of them reach the secret at once. Fresh
# interpreters, not forks: a fork of this test process would carry whatever an earlier
# test imported (eventlet warns on fork).
_CHILD = """
import pathlib, sys, time
from phr_share.keyfile import load_or_create_secret
go = pathlib.Path(sys.argv[2])
for _ in range(2000):
    if go.exists():
        break
    time.sleep(0.005)
print(load_or_create_secret(pathlib.Path(sys.argv[1])).hex())
"""


def test_processes_creating_one_secret_at_once_all_get_the_same(tmp_path: Path) -> None:
    path, go = tmp_path / "web.secret", tmp_path.parent / f"{tmp_path.name}.go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), str(go)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(16)
    ]
    go.touch()
    secrets = {bytes.fromhex(child.communicate(timeout=60)[0].strip()) for child in children}
    assert [child.returncode for child in children] == [0] * 16
    assert len(secrets) == 1
    assert secrets == {path.read_bytes()}
    assert [p.name for p in tmp_path.iterdir()] == ["web.secret"]  # no temporary left
