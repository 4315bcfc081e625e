"""Local secret files: created on first use, readable by their owner only."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from phr_share.errors import ConfigurationError

__all__ = ["load_or_create_secret", "load_secret"]


def load_or_create_secret(path: Path, size: int = 32) -> bytes:
    """The secret in ``path``, made (random, mode 0600) if the file does not exist yet.

    Raises ConfigurationError when the file has the wrong size or others may read it.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return load_secret(path, size)
    # Written whole under a private name, then linked into place: a concurrent reader
    # sees either no file or the complete secret, and of two creators the first wins.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(size))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return load_secret(path, size)


def load_secret(path: Path, size: int = 32) -> bytes:
    """The secret in an existing file; ConfigurationError when missing, shared or mis-sized."""
    if not path.exists():
        raise ConfigurationError(f"{path} does not exist")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"{path} must be readable by its owner only (chmod 600)")
    data = path.read_bytes()
    if len(data) != size:
        raise ConfigurationError(f"{path} must hold exactly {size} bytes")
    return data
