"""Master key stores (versioned keys that wrap patient keys) and patient-key wrapping.

Errors, the same for every store: a wrapped key that was altered, or unwrapped under
another context, is :class:`IntegrityError`; a version that was retired (or is missing)
is :class:`ConfigurationError` naming the version; a store that cannot be reached is
:class:`StoreUnavailable`.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phr_share.crypto.envelope import KEY_BYTES, NONCE_BYTES, check_key
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
        """The version new wraps use, created on first use; StoreUnavailable, ConfigurationError."""
        ...

    def versions(self) -> list[str]:
        """Versions that can still unwrap (not retired), oldest first; as current_version."""
        ...

    def wrap(self, key: bytes, context: Mapping[str, str]) -> WrappedKey:
        """Encrypt a key under the current version, bound to ``context``."""
        ...

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> bytes:
        """Decrypt a wrapped key; IntegrityError if altered, ConfigurationError if retired."""
        ...

    def rotate(self) -> str:
        """Make a new current version; older ones still unwrap until retired."""
        ...

    def retire(self, version: str) -> None:
        """Destroy an old version; ConfigurationError for the current or an unknown one."""
        ...

    def check(self) -> None:
        """Health probe; StoreUnavailable or ConfigurationError when the store is unusable."""
        ...


def canonical_context(context: Mapping[str, str]) -> bytes:
    """The context as associated data: compact JSON, keys sorted, non-ASCII escaped."""
    return json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode("ascii")


def retired(version: str) -> ConfigurationError:
    """The error for a master key version that can no longer unwrap."""
    return ConfigurationError(f"master key version {version} is retired or missing")


_VERSION = re.compile(r"local-([1-9][0-9]{0,8})")
_KEY_FILE = re.compile(r"master-([1-9][0-9]{0,8})\.key")
_POINTER = "current"


class LocalKeyStore:
    """Master key versions ``local-N`` as 0600 files ``master-N.key`` in one directory.

    The ``current`` file names the current version; it is replaced atomically.
    """

    name = "file"

    def __init__(self, directory: Path, *, randbytes: Callable[[int], bytes] = os.urandom) -> None:
        self.directory = directory
        self._randbytes = randbytes

    def _path(self, version: str) -> Path | None:
        match = _VERSION.fullmatch(version)
        return None if match is None else self.directory / f"master-{match.group(1)}.key"

    def _numbers(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        found = (_KEY_FILE.fullmatch(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m is not None)

    def versions(self) -> list[str]:
        """Versions with a key file, oldest first (the first is created on first use)."""
        self.current_version()
        return [f"local-{n}" for n in self._numbers()]

    def current_version(self) -> str:
        """The version the ``current`` file names; ConfigurationError if it is unreadable."""
        try:
            version = (self.directory / _POINTER).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            # First use; or a crash between a key file and its pointer: adopt the newest.
            numbers = self._numbers()
            return self._create(numbers[-1] if numbers else 1)
        except (OSError, UnicodeDecodeError):
            raise ConfigurationError(f"{self.directory / _POINTER} cannot be read") from None
        if self._path(version) is None:
            raise ConfigurationError(f"{self.directory / _POINTER} does not name a key version")
        return version

    def _create(self, number: int) -> str:
        """Create (or find, if another process got there first) a version and point at it."""
        version = f"local-{number}"
        load_or_create_secret(self.directory / f"master-{number}.key", KEY_BYTES)
        self._point_at(version)
        return version

    def _point_at(self, version: str) -> None:
        temporary = self.directory / f"{_POINTER}.{os.getpid()}.{self._randbytes(4).hex()}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(version + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(self.directory / _POINTER)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _key(self, version: str) -> bytes:
        """The key of a version; IntegrityError if malformed, ConfigurationError if gone."""
        path = self._path(version)
        if path is None:
            raise IntegrityError()
        # Never load_or_create_secret here: that would re-create a retired version.
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise retired(version) from None
        with os.fdopen(descriptor, "rb") as handle:
            if stat.S_IMODE(os.fstat(handle.fileno()).st_mode) & 0o077:
                raise ConfigurationError(f"{path} must be readable by its owner only (chmod 600)")
            key = handle.read(KEY_BYTES + 1)
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"{path} must hold exactly {KEY_BYTES} bytes")
        return key

    def wrap(self, key: bytes, context: Mapping[str, str]) -> WrappedKey:
        """AES-256-GCM under the current version, context as AD; ConfigurationError."""
        check_key(key)
        version = self.current_version()
        nonce = self._randbytes(NONCE_BYTES)
        if len(nonce) != NONCE_BYTES:
            raise ValueError("nonces are 12 bytes (96 bits)")
        sealed = AESGCM(self._key(version)).encrypt(nonce, key, canonical_context(context))
        return WrappedKey(version, nonce + sealed)

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> bytes:
        """Decrypt under the wrapping version; IntegrityError, ConfigurationError if retired."""
        master = self._key(wrapped.master_version)
        nonce, sealed = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
        if len(nonce) != NONCE_BYTES:
            raise IntegrityError()
        try:
            return AESGCM(master).decrypt(nonce, sealed, canonical_context(context))
        except InvalidTag:
            raise IntegrityError() from None

    def rotate(self) -> str:
        """Create the next version and make it current; ConfigurationError as current_version."""
        current = self.current_version()
        highest = max([*self._numbers(), int(current.removeprefix("local-"))])
        return self._create(highest + 1)

    def retire(self, version: str) -> None:
        """Delete an old version's key file; ConfigurationError for the current or unknown one."""
        if version == self.current_version():
            raise ConfigurationError("the current master key version cannot be retired")
        path = self._path(version)
        if path is None:
            raise ConfigurationError("not a master key version of the local key store")
        try:
            path.unlink()
        except FileNotFoundError:
            raise retired(version) from None

    def check(self) -> None:
        """The current key is present, private and whole; ConfigurationError otherwise."""
        self._key(self.current_version())


def _patient_context(patient_id: uuid.UUID, key_id: str) -> dict[str, str]:
    return {"purpose": "phr-share/patient-key", "patient": str(patient_id), "key": key_id}


def wrap_patient_key(store: KeyStore, patient_id: uuid.UUID, key_id: str, key: bytes) -> WrappedKey:
    """Wrap a patient key bound to patient and key id; ValueError for a bad key, store errors."""
    check_key(key)
    return store.wrap(key, _patient_context(patient_id, key_id))


def unwrap_patient_key(
    store: KeyStore, patient_id: uuid.UUID, key_id: str, wrapped: WrappedKey
) -> bytes:
    """Unwrap a patient key; IntegrityError if the row was moved to another patient or id."""
    key = store.unwrap(wrapped, _patient_context(patient_id, key_id))
    if len(key) != KEY_BYTES:
        raise IntegrityError()
    return key
