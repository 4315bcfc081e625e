"""The sealed-object format: one segment, its own data key, bound to where it belongs.

Layout of format 1 (all integers unsigned, big-endian)::

    offset  size  field
    0       4     magic "PHRS"
    4       1     format version (1)
    5       1     algorithm (1: AES-256-GCM, HKDF-SHA256 subkeys, key commitment)
    6       1     key id length L (1-32)
    7       L     key id, ASCII: which patient key wrapped the data key
    7+L     12    nonce of the data-key wrap
    19+L    48    data key (32) wrapped with AES-256-GCM under the patient key (+16 tag)
    67+L    32    key commitment: HKDF-SHA256(data key, info "phr-share/commit/1")
    99+L    12    payload nonce
    111+L   n+16  payload: AES-256-GCM under HKDF-SHA256(data key, info "phr-share/enc/1")

The binding (format version, patient id, tracking id, kind, key id; length-prefixed so
no field can run into the next) is associated data of both the wrap and the payload;
the payload's associated data also covers the whole header. Opening checks the header
key id against the binding, unwraps the data key, checks the commitment in constant
time and only then decrypts; every failure is the same :class:`IntegrityError`.
"""

from __future__ import annotations

import hmac
import os
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from phr_share.errors import IntegrityError

__all__ = [
    "ALGORITHM",
    "FORMAT_VERSION",
    "Binding",
    "new_key",
    "open_sealed",
    "peek_key_id",
    "seal",
]

MAGIC = b"PHRS"
FORMAT_VERSION = 1
ALGORITHM = "aes256gcm-hkdf-commit"
_ALGORITHM_ID = 1
KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
_COMMIT_BYTES = 32
_MAX_KEY_ID = 32
_FIXED = struct.Struct(">4sBBB")


@dataclass(frozen=True, slots=True)
class Binding:
    """What a ciphertext belongs to; all of it is authenticated, none of it encrypted."""

    patient_id: uuid.UUID
    tracking_id: uuid.UUID
    kind: str
    key_id: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.key_id) <= _MAX_KEY_ID or not self.key_id.isascii():
            raise ValueError("a key id is 1-32 ASCII characters")

    def associated_data(self) -> bytes:
        """The canonical, length-prefixed encoding of the binding."""
        kind, key_id = self.kind.encode(), self.key_id.encode()
        return b"".join(
            (
                b"phr-share/binding",
                bytes([FORMAT_VERSION]),
                self.patient_id.bytes,
                self.tracking_id.bytes,
                struct.pack(">H", len(kind)),
                kind,
                struct.pack(">H", len(key_id)),
                key_id,
            )
        )


def new_key(randbytes: Callable[[int], bytes] = os.urandom) -> bytes:
    """A fresh 256-bit key."""
    key = randbytes(KEY_BYTES)
    _check_key(key)
    return key


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError("keys are 32 bytes (AES-256)")


def _subkey(data_key: bytes, label: bytes) -> bytes:
    return HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=label).derive(data_key)


def seal(
    plaintext: bytes,
    patient_key: bytes,
    binding: Binding,
    *,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Encrypt one segment under a fresh data key wrapped by the patient key."""
    _check_key(patient_key)
    bound = binding.associated_data()
    data_key = new_key(randbytes)
    wrap_nonce, payload_nonce = randbytes(NONCE_BYTES), randbytes(NONCE_BYTES)
    if len(wrap_nonce) != NONCE_BYTES or len(payload_nonce) != NONCE_BYTES:
        raise ValueError("nonces are 12 bytes")
    wrapped = AESGCM(patient_key).encrypt(wrap_nonce, data_key, b"phr-share/wrap" + bound)
    key_id = binding.key_id.encode()
    header = b"".join(
        (
            _FIXED.pack(MAGIC, FORMAT_VERSION, _ALGORITHM_ID, len(key_id)),
            key_id,
            wrap_nonce,
            wrapped,
            _subkey(data_key, b"phr-share/commit/1"),
            payload_nonce,
        )
    )
    payload = AESGCM(_subkey(data_key, b"phr-share/enc/1")).encrypt(
        payload_nonce, plaintext, header + bound
    )
    return header + payload


@dataclass(frozen=True, slots=True)
class _Header:
    raw: bytes
    key_id: str
    wrap_nonce: bytes
    wrapped: bytes
    commitment: bytes
    payload_nonce: bytes


def _parse(blob: bytes) -> _Header:
    if len(blob) < _FIXED.size:
        raise IntegrityError()
    magic, version, algorithm, length = _FIXED.unpack_from(blob)
    if (magic, version, algorithm) != (MAGIC, FORMAT_VERSION, _ALGORITHM_ID):
        raise IntegrityError()
    if not 1 <= length <= _MAX_KEY_ID:
        raise IntegrityError()
    end = _FIXED.size + length + NONCE_BYTES + KEY_BYTES + _TAG_BYTES + _COMMIT_BYTES + NONCE_BYTES
    if len(blob) < end + _TAG_BYTES:
        raise IntegrityError()
    at = _FIXED.size
    key_id = blob[at : at + length]
    if not key_id.isascii():
        raise IntegrityError()
    at += length
    fields = []
    for size in (NONCE_BYTES, KEY_BYTES + _TAG_BYTES, _COMMIT_BYTES, NONCE_BYTES):
        fields.append(blob[at : at + size])
        at += size
    return _Header(blob[:end], key_id.decode(), *fields)


def peek_key_id(blob: bytes) -> str:
    """The key id a sealed object names (not yet authenticated); IntegrityError if malformed."""
    return _parse(blob).key_id


def open_sealed(blob: bytes, patient_key: bytes, binding: Binding) -> bytes:
    """Decrypt a sealed segment; raises IntegrityError, the same one, for any failure."""
    _check_key(patient_key)
    header = _parse(blob)
    if header.key_id != binding.key_id:
        raise IntegrityError()
    bound = binding.associated_data()
    try:
        data_key = AESGCM(patient_key).decrypt(
            header.wrap_nonce, header.wrapped, b"phr-share/wrap" + bound
        )
        if not hmac.compare_digest(_subkey(data_key, b"phr-share/commit/1"), header.commitment):
            raise IntegrityError()
        return AESGCM(_subkey(data_key, b"phr-share/enc/1")).decrypt(
            header.payload_nonce, blob[len(header.raw) :], header.raw + bound
        )
    except InvalidTag:
        raise IntegrityError() from None
