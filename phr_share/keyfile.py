"""Local files kept private: the process umask, owner-only directories and files, and
secret files created on first use.

The state directory holds the index database (break-glass reasons, display names,
hashes, wrapped keys), the stack's logs and Swift's device directory: every directory
in it is 0700 and every file 0600, whatever umask the process was started with.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO

from phr_share.errors import ConfigurationError

__all__ = [
    "PRIVATE_UMASK",
    "keep_private",
    "load_or_create_secret",
    "load_secret",
    "private_append",
    "private_dir",
    "private_file",
]

# What this process (and every process it starts) creates: files 0600, directories 0700.
PRIVATE_UMASK = 0o077


def keep_private() -> None:
    """From now on, files this process creates are 0600 and directories 0700."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner may enter: the missing parts made 0700, the
    directory itself narrowed to 0700 if it was wider. Returns ``path``."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=0o700)
    _narrow(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file only its owner may read: made empty 0600 if missing, narrowed
    to 0600 if it was wider. Returns ``path``."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    _narrow(path, 0o600)
    return path


def private_append(path: Path) -> BinaryIO:
    """``path`` opened to append to, as a file only its owner may read (see private_file)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    if stat.S_IMODE(os.fstat(descriptor).st_mode) & ~0o600:
        os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "ab")


def _narrow(path: Path, mode: int) -> None:
    """Take away what ``mode`` does not allow; ConfigurationError if that is not ours to do."""
    if stat.S_IMODE(path.stat().st_mode) & ~mode:
        try:
            path.chmod(mode)
        except PermissionError:
            raise ConfigurationError(f"{path} is open to others (chmod {mode:o} it)") from None


def load_or_create_secret(path: Path, size: int = 32) -> bytes:
    """The secret in ``path``, made (random, mode 0600) if the file does not exist yet.

    Raises ConfigurationError when the file has the wrong size or others may read it.
    """
    private_dir(path.parent)
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
