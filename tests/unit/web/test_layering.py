"""The web layer holds no domain logic: it reaches the record, consent, the series and
research through the use cases (``phr_share.sharing``) and speaks the shared vocabulary.

A walk over every module of ``phr_share/web`` reads its imports (top level and inside
functions alike) and fails on any ``phr_share`` module outside the list below.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import phr_share.web

WEB = Path(phr_share.web.__file__).parent

# What web may import, and why. A name is allowed with every module under it.
ALLOWED = {
    # Itself.
    "phr_share.web",
    # The use cases: every read, decision and write goes through them.
    "phr_share.sharing",
    # Shared vocabulary: plain values, enums and codes every layer spells the same way.
    "phr_share.models",
    "phr_share.codes",
    # The exception tree, with each error's HTTP status.
    "phr_share.errors",
    # The frozen settings the application factory is given.
    "phr_share.settings",
    # Small shared utilities, pure and domain-free:
    # one parser for a value that must be one of a fixed set (and the time zones);
    "phr_share.choices",
    # times in words in a given zone, the same on the pages and in the visit report;
    "phr_share.timewords",
    # the session secret's file, created private on first use.
    "phr_share.keyfile",
}
# Names web may take from the top package itself.
ROOT_NAMES = {"__version__"}


def _modules() -> list[Path]:
    return sorted(WEB.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(WEB.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) for each import of the file, relative ones resolved, ``from
    phr_share import x`` read as ``phr_share.x`` when x is a module."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, package)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                is_module = base == "phr_share" and importlib.util.find_spec(name) is not None
                found.append((node.lineno, name if is_module else base))
    return found


def _allowed(module: str) -> bool:
    return any(module == ok or module.startswith(f"{ok}.") for ok in ALLOWED)


def test_web_imports_only_the_use_cases_and_the_shared_vocabulary() -> None:
    wrong = [
        f"{path.relative_to(WEB.parent.parent)}:{line}: {module}"
        for path in _modules()
        for line, module in _imported(path)
        if module.startswith("phr_share.") and not _allowed(module)
    ]
    assert not wrong, "web reaches below the use cases:\n" + "\n".join(wrong)


def test_web_takes_only_the_version_from_the_top_package() -> None:
    taken = {
        alias.name
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "phr_share" and not node.level
        for alias in node.names
        if importlib.util.find_spec(f"phr_share.{alias.name}") is None
    }
    assert taken <= ROOT_NAMES


def test_the_walk_sees_the_imports_it_checks() -> None:
    # The check could pass by reading nothing: it must find web's own use of sharing,
    # resolve ``from phr_share import sharing``, and catch a domain package.
    seen = {module for path in _modules() for _, module in _imported(path)}
    assert {"phr_share.sharing", "phr_share.models", "phr_share.web.presentation"} <= seen
    assert not _allowed("phr_share.consent")
    assert not _allowed("phr_share.series.agp")
    assert not _allowed("phr_share.sharingx")
    assert _allowed("phr_share.sharing.clinical")
