"""The real local stack for the integration tests: started once per session on free
ports in a scratch directory, stopped by its recorded PIDs even when tests fail."""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from pathlib import Path

import pytest

from phr_share import stack as local_stack
from phr_share.settings import Settings
from phr_share.stack import StackInfo


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    state = tmp_path_factory.mktemp("stack")
    atexit.register(local_stack.down, state)  # should the session die before the finaliser
    try:
        yield local_stack.up(state)
    finally:
        local_stack.down(state)


@pytest.fixture
def stack_dir(stack: StackInfo) -> Path:
    return stack.state_dir


@pytest.fixture
def stack_settings(stack: StackInfo, tmp_path: Path) -> Settings:
    return Settings.from_env({**stack.env, "PHR_STATE_DIR": str(tmp_path)})
