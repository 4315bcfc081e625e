"""Small secrets at rest (an account's TOTP seed), sealed under a subkey of a local secret.

Layout of format 1 (``context`` is what the secret belongs to, e.g. an account id)::

    offset  size  field
    0       4     magic b"PHRK"
    4       1     format version: 1
    5       12    nonce, random
    17      n+16  AES-256-GCM(key, nonce, secret, AD), tag last

    AD = b"phr-share/secret/1" | u16 len(context) | context

A blob moved to another account, edited or opened under another key fails with the one
opaque :class:`~phr_share.errors.IntegrityError`. Subkeys for distinct purposes come from
one root secret through HKDF-SHA256 with a label each (:func:`derive_key`).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from phr_share.crypto.envelope import KEY_BYTES, NONCE_BYTES, check_key
from phr_share.errors import IntegrityError

__all__ = ["derive_key", "open_secret", "seal_secret"]

_MAGIC = b"PHRK\x01"
_AD_PREFIX = b"phr-share/secret/1"
_MAX_SECRET = 4096


def derive_key(root: bytes, label: bytes) -> bytes:
    """A 256-bit subkey of ``root`` for one purpose; ValueError for a root under 32 bytes."""
    if len(root) < KEY_BYTES or not label:
        raise ValueError("a root secret is at least 32 bytes, and a label is needed")
    return HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=label).derive(root)


def _associated(context: bytes) -> bytes:
    return _AD_PREFIX + struct.pack(">H", len(context)) + context


def seal_secret(
    secret: bytes, key: bytes, context: bytes, randbytes: Callable[[int], bytes] = os.urandom
) -> bytes:
    """``secret`` sealed under ``key``, bound to ``context``; ValueError for bad sizes."""
    check_key(key)
    if not 0 < len(secret) <= _MAX_SECRET or len(context) > 0xFFFF:
        raise ValueError("a small secret is 1-4096 bytes, its context at most 65535")
    nonce = randbytes(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonces are 12 bytes")
    return _MAGIC + nonce + AESGCM(key).encrypt(nonce, secret, _associated(context))


def open_secret(blob: bytes, key: bytes, context: bytes) -> bytes:
    """The secret in a blob from :func:`seal_secret`; IntegrityError for any failure."""
    check_key(key)
    head = len(_MAGIC)
    if len(blob) < head + NONCE_BYTES + 16 or not blob.startswith(_MAGIC):
        raise IntegrityError()
    nonce, sealed = blob[head : head + NONCE_BYTES], blob[head + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, _associated(context))
    except InvalidTag:
        raise IntegrityError() from None
