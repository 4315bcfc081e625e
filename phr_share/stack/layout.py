"""Where the stack keeps its state (``<state_dir>/stack/``), its secrets, and how the
templates in deploy/ are rendered into it."""

from __future__ import annotations

import base64
import getpass
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from phr_share.keyfile import private_dir
from phr_share.resources import shipped_file

__all__ = ["Layout", "Secrets", "render", "write_private"]


@dataclass(frozen=True, slots=True)
class Layout:
    """The paths under ``<state_dir>/stack``."""

    root: Path

    @property
    def swift_dir(self) -> Path:
        """Rings, swift.conf and the servers' configs."""
        return self.root / "swift"

    @property
    def devices(self) -> Path:
        """The device directory (its one device is ``d1``)."""
        return self.root / "devices"

    @property
    def recon(self) -> Path:
        """Swift's recon cache."""
        return self.root / "recon"

    @property
    def logs(self) -> Path:
        """One log file per service."""
        return self.root / "logs"

    @property
    def maildir(self) -> Path:
        """Where the local SMTP server keeps each message delivered to it."""
        return self.root / "maildir"

    @property
    def keystone(self) -> Path:
        """Keystone's config, SQLite database and key repositories."""
        return self.root / "keystone"

    @property
    def record(self) -> Path:
        """The services started, with their PIDs and ports."""
        return self.root / "services.json"

    @property
    def lock(self) -> Path:
        """Held while the stack is started or stopped."""
        return self.root / "lock"

    def create(self) -> None:
        """Create the directories (the device directory with its device ``d1``), 0700."""
        # Private data, password hashes and keys live below: only the owner gets in.
        folders = (self.root, self.swift_dir, self.devices / "d1", self.recon, self.logs)
        for directory in (*folders, self.maildir):
            private_dir(directory)

    def swift_values(self) -> dict[str, object]:
        """The template values every Swift server config shares."""
        return {
            "user": getpass.getuser(),
            "swift_dir": self.swift_dir,
            "devices": self.devices,
            "recon": self.recon,
        }


def _token() -> str:
    return secrets.token_urlsafe(24)


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@dataclass(frozen=True, slots=True)
class Secrets:
    """Random per state directory, kept (0600) so data and accounts survive a restart."""

    hash_suffix: str
    swift_key: str
    fernet_key: str
    keystone_admin: str
    keystone_swift: str
    keystone_phr: str

    @classmethod
    def load_or_create(cls, path: Path) -> Secrets:
        """The secrets kept in ``path``, with any missing one created and saved."""
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = {}
        makers = {"hash_suffix": secrets.token_hex, "fernet_key": _fernet_key}
        values = {
            f.name: str(kept[f.name]) if isinstance(kept, dict) and f.name in kept else None
            for f in fields(cls)
        }
        made = cls(**{k: v or makers.get(k, _token)() for k, v in values.items()})
        if any(v is None for v in values.values()):
            write_private(path, json.dumps(asdict(made), indent=2))
        return made

    def swift(self) -> dict[str, object]:
        """Values for swift.conf."""
        return {"hash_suffix": self.hash_suffix}

    def tempauth(self) -> dict[str, object]:
        """Values for the tempauth proxy."""
        return {"key": self.swift_key, "fernet_key": self.fernet_key}


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created 0600, never briefly wider).

    Every file the stack writes is written so: the processes that read them run as
    the same user.
    """
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def render(folder: str, template: str, destination: Path, values: Mapping[str, object]) -> None:
    """Fill in a deploy/ template's ``{names}`` and write it, 0600."""
    text = shipped_file(folder, template).read_text(encoding="utf-8").format(**values)
    write_private(destination, text)
