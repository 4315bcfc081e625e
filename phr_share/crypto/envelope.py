"""The sealed-object format: one segment, its own data key, bound to where it belongs.

Layout of format 1. Integers are unsigned big-endian; ``L`` is the key id length::

    offset  size  field
    0       4     magic b"PHRS"
    4       1     format version: 1
    5       1     algorithm id: 1 (ALGORITHM: AES-256-GCM, HKDF-SHA256 subkeys, commitment)
    6       1     L: key id length, 1-32
    7       L     key id: printable ASCII, no space (the patient key that wrapped the data key)
    7+L     12    wrap nonce, random
    19+L    48    wrapped data key: AES-256-GCM(patient key, wrap nonce, data key, AD_wrap),
                  32 bytes of ciphertext then the 16-byte tag
    67+L    32    key commitment: HKDF-SHA256(data key, no salt, info b"phr-share/commit/1")
    99+L    12    payload nonce, random
    111+L   n+16  payload: AES-256-GCM(K_enc, payload nonce, plaintext, AD_payload), tag last

    header     = bytes [0, 111+L)        overhead = 127 + L bytes
    K_enc      = HKDF-SHA256(data key, no salt, info b"phr-share/enc/1"), 32 bytes
    B          = b"phr-share/binding" | u8 format version | patient id (16, UUID bytes)
                 | tracking id (16) | u16 len(kind) | kind | u16 len(key id) | key id
    AD_wrap    = b"phr-share/wrap" | B
    AD_payload = header | B

``seal`` draws from ``randbytes`` in this order: data key (32), wrap nonce (12), payload
nonce (12). Opening checks the header's key id against the binding's, unwraps the data
key, compares the commitment in constant time and only then decrypts the payload. AES-GCM
alone is not key-committing; the commitment makes a blob open under one data key only,
and the wrap, bound to the same B, ties that data key to one patient key. Every failure
is the same :class:`~phr_share.errors.IntegrityError` with the same message.
"""

from __future__ import annotations

import hmac
import os
import re
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
    "KEY_BYTES",
    "NONCE_BYTES",
    "Binding",
    "SealedHeader",
    "check_key",
    "new_key",
    "open_sealed",
    "peek_header",
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
# AES-GCM (and cryptography's binding of it) stops at 2**31 - 1 bytes; a segment is tiny.
MAX_PLAINTEXT = 1 << 30
_FIXED = struct.Struct(">4sBBB")
_AFTER_KEY_ID = (NONCE_BYTES, KEY_BYTES + _TAG_BYTES, _COMMIT_BYTES, NONCE_BYTES)
_KEY_ID = re.compile(rb"[!-~]{1,32}")
_KIND = re.compile(r"[!-~]{1,64}")
_COMMIT_INFO = b"phr-share/commit/1"
_ENC_INFO = b"phr-share/enc/1"
_WRAP_PREFIX = b"phr-share/wrap"
_BINDING_PREFIX = b"phr-share/binding"


@dataclass(frozen=True, slots=True)
class Binding:
    """What a ciphertext belongs to; all of it is authenticated, none of it encrypted.

    Raises TypeError or ValueError (programming errors) for a field of the wrong shape.
    """

    patient_id: uuid.UUID
    tracking_id: uuid.UUID
    kind: str
    key_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.patient_id, uuid.UUID) or not isinstance(
            self.tracking_id, uuid.UUID
        ):
            raise TypeError("patient_id and tracking_id must be uuid.UUID")
        if not isinstance(self.kind, str) or _KIND.fullmatch(self.kind) is None:
            raise ValueError("a kind is 1-64 printable ASCII characters")
        if not isinstance(self.key_id, str) or _KEY_ID.fullmatch(self.key_id.encode()) is None:
            raise ValueError("a key id is 1-32 printable ASCII characters")

    def associated_data(self) -> bytes:
        """The canonical, length-prefixed encoding ``B`` of the binding."""
        kind, key_id = self.kind.encode("ascii"), self.key_id.encode("ascii")
        return b"".join(
            (
                _BINDING_PREFIX,
                bytes([FORMAT_VERSION]),
                self.patient_id.bytes,
                self.tracking_id.bytes,
                struct.pack(">H", len(kind)),
                kind,
                struct.pack(">H", len(key_id)),
                key_id,
            )
        )


def check_key(key: bytes) -> None:
    """Refuse a key that is not 32 bytes; raises ValueError (a programming error)."""
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise ValueError("keys are 32 bytes (AES-256)")


def new_key(randbytes: Callable[[int], bytes] = os.urandom) -> bytes:
    """A fresh 256-bit key; ValueError if ``randbytes`` returns the wrong size."""
    key = randbytes(KEY_BYTES)
    check_key(key)
    return key


def _nonce(randbytes: Callable[[int], bytes]) -> bytes:
    nonce = randbytes(NONCE_BYTES)
    if not isinstance(nonce, bytes) or len(nonce) != NONCE_BYTES:
        raise ValueError("nonces are 12 bytes (96 bits)")
    return nonce


def _subkey(data_key: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=info).derive(data_key)


def seal(
    plaintext: bytes,
    patient_key: bytes,
    binding: Binding,
    *,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Encrypt one segment under a fresh data key wrapped by the patient key.

    Raises ValueError for a wrong-size key, nonce or plaintext (programming errors).
    """
    check_key(patient_key)
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("a segment is at most 1 GiB")
    bound = binding.associated_data()
    data_key = new_key(randbytes)
    wrap_nonce, payload_nonce = _nonce(randbytes), _nonce(randbytes)
    wrapped = AESGCM(patient_key).encrypt(wrap_nonce, data_key, _WRAP_PREFIX + bound)
    key_id = binding.key_id.encode("ascii")
    header = b"".join(
        (
            _FIXED.pack(MAGIC, FORMAT_VERSION, _ALGORITHM_ID, len(key_id)),
            key_id,
            wrap_nonce,
            wrapped,
            _subkey(data_key, _COMMIT_INFO),
            payload_nonce,
        )
    )
    payload = AESGCM(_subkey(data_key, _ENC_INFO)).encrypt(payload_nonce, plaintext, header + bound)
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
    """Split the header off; IntegrityError if the blob cannot be one of ours."""
    if len(blob) < _FIXED.size:
        raise IntegrityError()
    magic, version, algorithm, length = _FIXED.unpack_from(blob)
    if (magic, version, algorithm) != (MAGIC, FORMAT_VERSION, _ALGORITHM_ID):
        raise IntegrityError()
    at = _FIXED.size + length
    end = at + sum(_AFTER_KEY_ID)
    key_id = bytes(blob[_FIXED.size : at])
    if len(blob) < end + _TAG_BYTES or _KEY_ID.fullmatch(key_id) is None:
        raise IntegrityError()
    fields = []
    for size in _AFTER_KEY_ID:
        fields.append(bytes(blob[at : at + size]))
        at += size
    return _Header(bytes(blob[:end]), key_id.decode("ascii"), *fields)


@dataclass(frozen=True, slots=True)
class SealedHeader:
    """What a sealed object's header says it is (read, not yet authenticated)."""

    format_version: int
    algorithm: str
    key_id: str


def peek_header(blob: bytes) -> SealedHeader:
    """The format, algorithm and key id a sealed object's header names (not yet
    authenticated); IntegrityError if it cannot be a header of ours."""
    # _parse refuses any format or algorithm but ours, so those are the ones named.
    return SealedHeader(FORMAT_VERSION, ALGORITHM, _parse(blob).key_id)


def peek_key_id(blob: bytes) -> str:
    """The key id a sealed object names (not yet authenticated); IntegrityError if malformed."""
    return _parse(blob).key_id


def open_sealed(blob: bytes, patient_key: bytes, binding: Binding) -> bytes:
    """Decrypt a sealed segment; IntegrityError, always the same, for any failure.

    Raises ValueError only for a wrong-size patient key (a programming error).
    """
    check_key(patient_key)
    header = _parse(blob)
    if header.key_id != binding.key_id:
        raise IntegrityError()
    bound = binding.associated_data()
    try:
        data_key = AESGCM(patient_key).decrypt(
            header.wrap_nonce, header.wrapped, _WRAP_PREFIX + bound
        )
        commitment = _subkey(data_key, _COMMIT_INFO)
        if not hmac.compare_digest(commitment, header.commitment):
            raise IntegrityError()
        payload = bytes(blob[len(header.raw) :])
        return AESGCM(_subkey(data_key, _ENC_INFO)).decrypt(
            header.payload_nonce, payload, header.raw + bound
        )
    except InvalidTag:
        raise IntegrityError() from None
