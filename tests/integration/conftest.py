"""The real local stack for the integration tests: started once per session on free
ports in a scratch directory, stopped by its recorded PIDs even when tests fail.

Fixtures (a contract other test modules use):
- ``stack``: the tempauth stack (StackInfo); ``stack_dir``: its state directory;
- ``keystone_stack``: the Keystone v3 flavour, in a state directory of its own;
- ``stack_settings``: Settings for the tempauth stack, state in the test's tmp_path;
- ``private_store``: a SwiftStore on it; ``public_store``: an S3Store on a bucket of
  its own (created, and deleted afterwards).
"""

from __future__ import annotations

import atexit
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from phr_share import stack as local_stack
from phr_share.settings import Settings
from phr_share.stack import StackInfo
from phr_share.stack.keystone import VENV_NAME, find_venv
from phr_share.storage import BlobStore, S3Store, SwiftStore

_HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: talks to the real local Swift and S3")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.integration)


def _running(state: Path, *, keystone: bool) -> Iterator[StackInfo]:
    # Should the session die before its finaliser, the PIDs are still stopped at exit.
    atexit.register(local_stack.down, state)
    try:
        yield local_stack.up(state, keystone=keystone)
    finally:
        local_stack.down(state)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    yield from _running(tmp_path_factory.mktemp("stack"), keystone=False)


@pytest.fixture(scope="session")
def keystone_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    if find_venv() is None:
        pytest.skip(f"Keystone is not installed in {VENV_NAME}: `make keystone` builds it")
    yield from _running(tmp_path_factory.mktemp("keystone-stack"), keystone=True)


@pytest.fixture
def stack_dir(stack: StackInfo) -> Path:
    return stack.state_dir


@pytest.fixture
def stack_settings(stack: StackInfo, tmp_path: Path) -> Settings:
    return Settings.from_env({**stack.env, "PHR_STATE_DIR": str(tmp_path)})


@pytest.fixture
def private_store(stack_settings: Settings) -> SwiftStore:
    return SwiftStore(
        stack_settings.swift_auth_url,
        stack_settings.swift_user,
        stack_settings.swift_key,
        auth_version=stack_settings.swift_auth_version,
    )


@pytest.fixture
def public_store(stack_settings: Settings) -> Iterator[S3Store]:
    store = S3Store(
        f"phr-test-{uuid.uuid4().hex[:16]}",
        endpoint_url=stack_settings.s3_endpoint_url,
        region=stack_settings.s3_region,
        access_key_id=stack_settings.s3_access_key_id,
        secret_access_key=stack_settings.s3_secret_access_key,
    )
    store.ensure_container(store.bucket)
    yield store
    store.delete_container(store.bucket)


class DyingAfter:
    """A store that stops a real service of the stack (the S3 endpoint unless named)
    before its n-th write: a fault at a given write, whatever the pace of the store."""

    def __init__(self, store: BlobStore, state_dir: Path, writes: int, service: str = "s3") -> None:
        self.store, self.state_dir, self.left = store, state_dir, writes
        self.service = service
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def put(self, container: str, name: str, data: bytes, metadata: dict[str, str]) -> None:
        with self.lock:
            self.left -= 1
            if self.left == 0:
                local_stack.stop_service(self.state_dir, self.service)
        self.store.put(container, name, data, metadata)
