"""Master key stores: versioned keys that wrap patient keys, and patient-key wrapping."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phr_share.crypto.envelope import KEY_BYTES, NONCE_BYTES
from phr_share.errors import ConfigurationError, IntegrityError
from phr_share.keyfile import load_or_create_secret

__all__ = [
    "KeyStore",
    "LocalKeyStore",
    "WrappedKey",
    "canonical_context",
    "unwrap_patient_key",
    "wrap_patient_key",
]


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A key encrypted under one master key version; safe to store, useless alone."""

    master_version: str
    blob: bytes = field(repr=False)


class KeyStore(Protocol):
    """Versioned master keys: wrap under the current one, unwrap under any kept one."""

    name: str

    def current_version(self) -> str:
        """The version new wraps use; created on first use."""
        ...

    def versions(self) -> list[str]:
        """Versions that can still unwrap, oldest first."""
        ...

    def wrap(self, key: bytes, context: Mapping[str, str]) -> WrappedKey:
        """Encrypt a key under the current version, bound to ``context``."""
        ...

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> bytes:
        """Decrypt a wrapped key; IntegrityError when it or its context was altered."""
        ...

    def rotate(self) -> str:
        """Make a new current version; older ones still unwrap until retired."""
        ...

    def retire(self, version: str) -> None:
        """Destroy an old version; ConfigurationError for the current one."""
        ...

    def check(self) -> None:
        """Health probe; StoreUnavailable when the store cannot be reached."""
        ...


def canonical_context(context: Mapping[str, str]) -> bytes:
    """The context as associated data: sorted compact JSON."""
    return json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode()


_VERSION = re.compile(r"^local-([1-9][0-9]{0,8})$")


class LocalKeyStore:
    """Master key versions as 0600 files ``master-N.key`` in one directory."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, version: str) -> Path:
        match = _VERSION.match(version)
        if match is None:
            raise IntegrityError()
        return self.directory / f"master-{match.group(1)}.key"

    def versions(self) -> list[str]:
        """Versions on disk, oldest first."""
        numbers = sorted(
            int(p.stem.removeprefix("master-"))
            for p in self.directory.glob("master-*.key")
            if p.stem.removeprefix("master-").isdigit()
        )
        return [f"local-{n}" for n in numbers]

    def current_version(self) -> str:
        """The version named by the ``current`` file; version 1 is created on first use."""
        pointer = self.directory / "current"
        try:
            version = pointer.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            version = "local-1"
            load_or_create_secret(self._path(version), KEY_BYTES)
            self._point_at(version)
        return version

    def _point_at(self, version: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.directory / "current.tmp"
        temporary.write_text(version + "\n", encoding="ascii")
        temporary.replace(self.directory / "current")

    def _key(self, version: str) -> bytes:
        path = self._path(version)
        if not path.exists():
            raise ConfigurationError(f"master key version {version} is retired or missing")
        return load_or_create_secret(path, KEY_BYTES)

    def wrap(self, key: bytes, context: Mapping[str, str]) -> WrappedKey:
        """AES-256-GCM under the current master key, the context as associated data."""
        version = self.current_version()
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._key(version)).encrypt(nonce, key, canonical_context(context))
        return WrappedKey(version, nonce + sealed)

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> bytes:
        """Decrypt under the version that wrapped it; IntegrityError on any mismatch."""
        master = self._key(wrapped.master_version)
        nonce, sealed = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
        try:
            return AESGCM(master).decrypt(nonce, sealed, canonical_context(context))
        except (InvalidTag, ValueError):
            raise IntegrityError() from None

    def rotate(self) -> str:
        """Create the next version and make it current."""
        current = self.current_version()
        match = _VERSION.match(current)
        assert match is not None
        numbers = [int(v.removeprefix("local-")) for v in self.versions()]
        version = f"local-{max([*numbers, int(match.group(1))]) + 1}"
        load_or_create_secret(self._path(version), KEY_BYTES)
        self._point_at(version)
        return version

    def retire(self, version: str) -> None:
        """Delete an old version's file; the current one is refused."""
        if version == self.current_version():
            raise ConfigurationError("the current master key version cannot be retired")
        path = self._path(version)
        if not path.exists():
            raise ConfigurationError(f"master key version {version} is retired or missing")
        path.unlink()

    def check(self) -> None:
        """The current key is readable (and private)."""
        self._key(self.current_version())


def _patient_context(patient_id: uuid.UUID, key_id: str) -> dict[str, str]:
    return {"purpose": "phr-share/patient-key", "patient": str(patient_id), "key": key_id}


def wrap_patient_key(store: KeyStore, patient_id: uuid.UUID, key_id: str, key: bytes) -> WrappedKey:
    """Wrap a patient key under the current master key, bound to the patient and key id."""
    if len(key) != KEY_BYTES:
        raise ValueError("keys are 32 bytes (AES-256)")
    return store.wrap(key, _patient_context(patient_id, key_id))


def unwrap_patient_key(
    store: KeyStore, patient_id: uuid.UUID, key_id: str, wrapped: WrappedKey
) -> bytes:
    """Unwrap a patient key; IntegrityError if the row was moved to another patient or id."""
    key = store.unwrap(wrapped, _patient_context(patient_id, key_id))
    if len(key) != KEY_BYTES:
        raise IntegrityError()
    return key
