"""The README stays a newcomer's page, and what it points at is there.

The manual in docs/ is checked by `mkdocs build --strict` (`make docs`): a broken link
or anchor there, or a page missing from the navigation, fails that build. The README is
not one of its pages, so its own links are checked here.
"""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = ROOT / "README.md"
# A Markdown link's target, when it is a path in the repository (not a web address).
_LOCAL_LINK = re.compile(r"\]\((?!https?://|mailto:)([^)#\s]+)(#[^)\s]*)?\)")


def test_the_readme_is_a_page_not_the_manual() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) < 250, "the reference belongs in docs/; keep the README a newcomer's page"


def test_every_file_the_readme_links_to_exists() -> None:
    targets = _LOCAL_LINK.findall(README.read_text())
    assert any(path.startswith("docs/") for path, _ in targets)
    missing = [path for path, _ in targets if not (ROOT / path).exists()]
    assert missing == []


def test_every_page_of_the_manual_is_linked_from_the_readme_or_the_manual_home() -> None:
    linked = {path for path, _ in _LOCAL_LINK.findall(README.read_text())}
    home = ROOT / "docs" / "index.md"
    linked |= {f"docs/{path}" for path, _ in _LOCAL_LINK.findall(home.read_text())}
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")}
    assert pages - linked - {"docs/index.md"} == set()
