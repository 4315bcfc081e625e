"""Local secret files: created on first use, readable by their owner only."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from phr_share.errors import ConfigurationError

__all__ = ["load_or_create_secret"]


def load_or_create_secret(path: Path, size: int = 32) -> bytes:
    """The secret in ``path``, made (random, mode 0600) if the file does not exist yet.

    Raises ConfigurationError when the file has the wrong size or others may read it.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path, size)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(size))
    return _read(path, size)


def _read(path: Path, size: int) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"{path} must be readable by its owner only (chmod 600)")
    data = path.read_bytes()
    if len(data) != size:
        raise ConfigurationError(f"{path} must hold exactly {size} bytes")
    return data
