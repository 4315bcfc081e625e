"""Ed25519 signatures (the audit log's tree heads) and the file that keeps the signing key.

The signing key never enters the database. It is a 32-byte Ed25519 seed, wrapped by the
key store's current master key (a local key file, or KMS) and kept as a 0600 JSON file
beside the master keys, ``$PHR_STATE_DIR/keys/audit-signing.key``::

    {"format": "phr-share-signing-key/1", "master_version": "<version>", "wrapped": "<base64>"}

so with KMS the file is useless without KMS, and with local keys it is as safe as they
are. A master key rotation re-wraps it (:func:`rewrap_signing_key`). Errors: a file that
is malformed or readable by others is ConfigurationError; a wrapped seed that was altered
is IntegrityError; the key store's own errors pass through.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from phr_share.crypto.keystore import KeyStore, WrappedKey
from phr_share.errors import ConfigurationError, IntegrityError

__all__ = [
    "PUBLIC_KEY_BYTES",
    "SIGNING_KEY_FILE",
    "SigningKey",
    "load_or_create_signing_key",
    "parse_public_key",
    "rewrap_signing_key",
    "signing_key_from_seed",
    "verify_signature",
]

SIGNING_KEY_FILE = "audit-signing.key"
PUBLIC_KEY_BYTES = 32
_SEED_BYTES = 32
_FORMAT = "phr-share-signing-key/1"
_CONTEXT = {"purpose": "phr-share/audit-signing-key"}


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 private key (its seed) and its raw public key."""

    seed: bytes = field(repr=False)
    public_key: bytes

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def signing_key_from_seed(seed: bytes) -> SigningKey:
    """The key pair of a 32-byte seed; ValueError for any other size."""
    if len(seed) != _SEED_BYTES:
        raise ValueError("an Ed25519 seed is 32 bytes")
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return SigningKey(seed, public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a good Ed25519 signature of ``message`` under ``public_key``."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def parse_public_key(text: str) -> bytes:
    """A raw public key from base64 of its 32 bytes, or from a PEM ``PUBLIC KEY``; ValueError."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            loaded = load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError):
            raise ValueError("the PEM text is not a public key") from None
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("the PEM public key is not an Ed25519 key")
        return loaded.public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("the public key is neither base64 nor PEM") from None
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw


def load_or_create_signing_key(
    store: KeyStore, path: Path, *, randbytes: Callable[[int], bytes] = os.urandom
) -> SigningKey:
    """The signing key in ``path``, made (and wrapped by ``store``) on first use."""
    if not path.exists():
        _write_new(path, store.wrap(randbytes(_SEED_BYTES), _CONTEXT))
    seed = store.unwrap(_read(path), _CONTEXT)
    if len(seed) != _SEED_BYTES:
        raise IntegrityError()
    return signing_key_from_seed(seed)


def rewrap_signing_key(store: KeyStore, path: Path) -> bool:
    """Re-wrap the signing key under the store's current version; False when there is none
    yet or it already is."""
    if not path.exists():
        return False
    wrapped = _read(path)
    if wrapped.master_version == store.current_version():
        return False
    rewrapped = store.wrap(store.unwrap(wrapped, _CONTEXT), _CONTEXT)
    temporary = _private_copy(path, rewrapped)
    temporary.replace(path)
    return True


def _read(path: Path) -> WrappedKey:
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        raise ConfigurationError(f"{path} cannot be read") from None
    with os.fdopen(descriptor, "rb") as handle:
        if stat.S_IMODE(os.fstat(handle.fileno()).st_mode) & 0o077:
            raise ConfigurationError(f"{path} must be readable by its owner only (chmod 600)")
        raw = handle.read(64 * 1024)
    try:
        document = json.loads(raw)
        if document["format"] != _FORMAT:
            raise ValueError(document["format"])
        blob = base64.b64decode(document["wrapped"], validate=True)
        return WrappedKey(str(document["master_version"]), blob)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ConfigurationError(f"{path} is not a {_FORMAT} file") from None


def _private_copy(path: Path, wrapped: WrappedKey) -> Path:
    """The wrapped key written whole to a new 0600 file beside ``path``; its name."""
    document = {
        "format": _FORMAT,
        "master_version": wrapped.master_version,
        "wrapped": base64.b64encode(wrapped.blob).decode("ascii"),
    }
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.urandom(8).hex()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _write_new(path: Path, wrapped: WrappedKey) -> None:
    """Link a new key file into place; of two processes creating it, the first one wins."""
    temporary = _private_copy(path, wrapped)
    try:
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
