"""Small secrets at rest: a known answer pins the format; moved, edited or re-keyed blobs
fail with the one opaque error."""

from __future__ import annotations

import os
import struct
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from phr_share.crypto import derive_key, open_secret, seal_secret
from phr_share.errors import IntegrityError

KEY = bytes(range(32))
CONTEXT = uuid.UUID("00000000-0000-4000-8000-000000000001").bytes
SECRET = b"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
KNOWN = bytes.fromhex(
    "5048524b01070707070707070707070707482ffc18284195a281c420d4d11ebecae619d737cfb9c34f"
    "b9e26dae5591784a2e2e5762f1cced0a627e4ae1e15cad4d"
)


def test_a_known_answer_pins_the_format() -> None:
    assert seal_secret(SECRET, KEY, CONTEXT, lambda n: b"\x07" * n) == KNOWN
    # The same bytes from the primitives alone: magic, version, nonce, AES-GCM with the AD.
    ad = b"phr-share/secret/1" + struct.pack(">H", 16) + CONTEXT
    assert b"PHRK\x01" + b"\x07" * 12 + AESGCM(KEY).encrypt(b"\x07" * 12, SECRET, ad) == KNOWN
    assert open_secret(KNOWN, KEY, CONTEXT) == SECRET


def test_subkeys_are_hkdf_sha256_of_the_root_with_a_label() -> None:
    expected = HKDF(hashes.SHA256(), 32, salt=None, info=b"label").derive(bytes(32))
    assert derive_key(bytes(32), b"label") == expected
    assert derive_key(bytes(32), b"other") != expected
    with pytest.raises(ValueError, match="at least 32 bytes"):
        derive_key(bytes(16), b"label")


def test_a_blob_opens_only_under_its_key_and_for_its_account() -> None:
    blob = seal_secret(SECRET, KEY, CONTEXT)
    assert blob != seal_secret(SECRET, KEY, CONTEXT)  # a fresh nonce each time
    assert SECRET not in blob
    edited = bytearray(blob)
    edited[-1] ^= 1
    for bad, key, context in [
        (blob, KEY, uuid.uuid4().bytes),  # moved to another account
        (blob, os.urandom(32), CONTEXT),
        (bytes(edited), KEY, CONTEXT),
        (blob[:20], KEY, CONTEXT),
        (b"PHRS" + blob[4:], KEY, CONTEXT),
    ]:
        with pytest.raises(IntegrityError) as failed:
            open_secret(bad, key, context)
        assert str(failed.value) == "a stored object failed its integrity check"


def test_sizes_are_checked_before_anything_is_sealed() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal_secret(SECRET, b"short", CONTEXT)
    with pytest.raises(ValueError, match="small secret"):
        seal_secret(b"", KEY, CONTEXT)
    with pytest.raises(ValueError, match="12 bytes"):
        seal_secret(SECRET, KEY, CONTEXT, lambda n: b"\x00" * (n - 1))
