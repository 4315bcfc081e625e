"""Ed25519 for the audit log's tree heads: RFC 8032's known answers, key text, key files."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from phr_share.crypto import (
    LocalKeyStore,
    load_or_create_signing_key,
    parse_public_key,
    signing_key_from_seed,
    verify_signature,
)
from phr_share.errors import ConfigurationError, IntegrityError

# RFC 8032 section 7.1, TEST 1 (the empty message) and TEST 2 (one byte, 0x72).
VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "public", "message", "signature"), VECTORS)
def test_signatures_match_rfc_8032(seed: str, public: str, message: str, signature: str) -> None:
    key = signing_key_from_seed(bytes.fromhex(seed))
    assert key.public_key.hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature
    good = (bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature))
    assert verify_signature(*good)
    bent = bytes([good[2][0] ^ 1]) + good[2][1:]
    assert not verify_signature(good[0], good[1], bent)
    assert not verify_signature(good[0], good[1] + b"\x00", good[2])
    assert not verify_signature(good[0][:31], good[1], good[2])
    assert not verify_signature(good[0], good[1], good[2][:63])
    assert seed not in repr(key)


def test_a_seed_is_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        signing_key_from_seed(b"short")


def test_public_keys_are_read_as_base64_or_pem() -> None:
    public = bytes.fromhex(VECTORS[0][1])
    assert parse_public_key(base64.b64encode(public).decode() + "\n") == public
    # SubjectPublicKeyInfo for Ed25519 (RFC 8410): a fixed 12-byte prefix, then the key.
    der = bytes.fromhex("302a300506032b6570032100") + public
    pem = f"-----BEGIN PUBLIC KEY-----\n{base64.b64encode(der).decode()}\n-----END PUBLIC KEY-----"
    assert parse_public_key(pem) == public
    for bad in ("", "not base64!", base64.b64encode(public[:31]).decode(), pem.replace("M", "N")):
        with pytest.raises(ValueError, match="key"):
            parse_public_key(bad)


def test_a_signing_key_file_must_be_private_well_formed_and_unaltered(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    path = tmp_path / "keys" / "audit-signing.key"
    key = load_or_create_signing_key(store, path)
    assert load_or_create_signing_key(store, path) == key
    document = json.loads(path.read_text())
    assert document["format"] == "phr-share-signing-key/1"
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_or_create_signing_key(store, path)
    path.chmod(0o600)
    blob = base64.b64decode(document["wrapped"])
    altered = {**document, "wrapped": base64.b64encode(blob[:-1] + bytes([blob[-1] ^ 1])).decode()}
    path.write_text(json.dumps(altered))
    with pytest.raises(IntegrityError):
        load_or_create_signing_key(store, path)
    path.write_text("{}")
    with pytest.raises(ConfigurationError, match="not a phr-share-signing-key/1 file"):
        load_or_create_signing_key(store, path)
