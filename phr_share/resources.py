"""Files the package ships beside its code: schemas and deploy templates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["shipped_file"]

_SOURCE_TREE = Path(__file__).resolve().parents[1]


def shipped_file(folder: str, name: str) -> Path:
    """Where ``folder/name`` is: inside the installed package, else the source tree."""
    packaged = resources.files("phr_share").joinpath(folder, name)
    if packaged.is_file():
        return Path(str(packaged))
    return _SOURCE_TREE / folder / name
