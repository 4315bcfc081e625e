"""The import-linter contracts in pyproject.toml: the tree keeps them, and they bite.

`make lint` runs `lint-imports` on the tree; here it also runs on a copy of the package
with one deliberately wrong import added, which must break the contract that forbids it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}


def _lint_imports(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Wide enough that no contract's name is wrapped across lines of the report.
    environ = {**os.environ, "COLUMNS": "400", **env}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        # A domain package reaching up into the web layer.
        pytest.param("phr_share.ccda._wrong", "phr_share.web", "layers", id="ccda-imports-web"),
        # Two domain siblings meeting: the Safe Harbor rules stay free of lxml's tree.
        pytest.param("phr_share.deid._wrong", "phr_share.ccda", "layers", id="deid-imports-ccda"),
        # A third-party library outside its corner.
        pytest.param(
            "phr_share.series._wrong", "sqlalchemy", "sqlalchemy-in-db", id="sql-in-series"
        ),
        # The runtime reaching the local development stack.
        pytest.param(
            "phr_share.web._wrong", "phr_share.stack", "stack-from-cli-only", id="web-stack"
        ),
    ],
)
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, importer: str, imported: str, contract: str
) -> None:
    # Only the code matters to the import graph; the pages' assets stay behind.
    skip = shutil.ignore_patterns("__pycache__", "static", "templates")
    shutil.copytree(ROOT / "phr_share", tmp_path / "phr_share", ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    tmp_path.joinpath(*importer.split(".")).with_suffix(".py").write_text(f"import {imported}\n")

    done = _lint_imports(tmp_path, PYTHONPATH=str(tmp_path))

    assert done.returncode != 0
    assert f"{CONTRACTS[contract]} BROKEN" in done.stdout, done.stdout + done.stderr
    assert f"{importer} -> {imported}" in done.stdout
