"""The sealed-object format: known answers, round trips and every kind of tampering."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phr_share.crypto import Binding, new_key, open_sealed, peek_key_id, seal
from phr_share.crypto.envelope import _subkey
from phr_share.errors import IntegrityError
from tests.unit.crypto.vectors import PATIENT_KEY, VECTORS, binding_for, sealed

ROWS = json.loads(VECTORS.read_text())
BINDING = Binding(uuid.uuid4(), uuid.uuid4(), "physical-signs", "pk1")
MESSAGE = "a stored object failed its integrity check"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_known_answer_vectors_pin_the_format(row: dict[str, str]) -> None:
    assert sealed(row).hex() == row["sealed"]
    blob = bytes.fromhex(row["sealed"])
    assert open_sealed(blob, bytes.fromhex(row["patient_key"]), binding_for(row)) == bytes.fromhex(
        row["plaintext"]
    )
    assert peek_key_id(blob) == "pk1"


def test_round_trip_and_fresh_randomness() -> None:
    key = new_key()
    first, second = seal(b"<section/>", key, BINDING), seal(b"<section/>", key, BINDING)
    assert first != second
    assert open_sealed(first, key, BINDING) == open_sealed(second, key, BINDING) == b"<section/>"


def _fails(blob: bytes, key: bytes = PATIENT_KEY, binding: Binding = BINDING) -> None:
    with pytest.raises(IntegrityError) as caught:
        open_sealed(blob, key, binding)
    assert str(caught.value) == MESSAGE


def test_every_flipped_bit_position_fails() -> None:
    blob = seal(b"<section>BP 128/82</section>", PATIENT_KEY, BINDING)
    for index in range(len(blob)):
        flipped = bytearray(blob)
        flipped[index] ^= 0x01
        _fails(bytes(flipped))


def test_every_truncation_and_any_extension_fails() -> None:
    blob = seal(b"<section>BP</section>", PATIENT_KEY, BINDING)
    for length in range(len(blob)):
        _fails(blob[:length])
    _fails(blob + b"\x00")


@pytest.mark.parametrize(
    "changed",
    [
        replace(BINDING, patient_id=uuid.uuid4()),
        replace(BINDING, tracking_id=uuid.uuid4()),
        replace(BINDING, kind="personal"),
        replace(BINDING, key_id="pk2"),
    ],
    ids=["patient", "tracking-id", "kind", "key-id"],
)
def test_a_blob_opened_under_another_binding_fails(changed: Binding) -> None:
    _fails(seal(b"<section/>", PATIENT_KEY, BINDING), binding=changed)


def test_a_wrong_patient_key_fails() -> None:
    _fails(seal(b"<section/>", PATIENT_KEY, BINDING), key=new_key())


def test_a_header_key_id_edited_to_match_a_forged_binding_fails() -> None:
    blob = seal(b"<section/>", PATIENT_KEY, BINDING)
    forged = blob.replace(b"pk1", b"pk2", 1)
    _fails(forged, binding=replace(BINDING, key_id="pk2"))


def _forge(blob: bytes, data_key: bytes, *, commit: bool) -> bytes:
    """Re-wrap another data key and re-encrypt the payload, all authentic under the
    patient key; keep the original commitment unless ``commit``."""
    fixed, wrap_nonce = blob[:10], blob[10:22]
    commitment, payload_nonce = blob[70:102], blob[102:114]
    bound = BINDING.associated_data()
    wrapped = AESGCM(PATIENT_KEY).encrypt(wrap_nonce, data_key, b"phr-share/wrap" + bound)
    if commit:
        commitment = _subkey(data_key, b"phr-share/commit/1")
    header = fixed + wrap_nonce + wrapped + commitment + payload_nonce
    payload = AESGCM(_subkey(data_key, b"phr-share/enc/1")).encrypt(
        payload_nonce, b"<section>forged</section>", header + bound
    )
    return header + payload


def test_the_key_commitment_is_checked() -> None:
    blob = seal(b"<section>real</section>", PATIENT_KEY, BINDING)
    other = os.urandom(32)
    # The same forgery with a matching commitment opens: so the refusal below is the
    # commitment check's doing, not the AEAD tag's.
    assert open_sealed(_forge(blob, other, commit=True), PATIENT_KEY, BINDING).endswith(
        b"forged</section>"
    )
    _fails(_forge(blob, other, commit=False))


def test_sizes_are_checked_eagerly() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal(b"x", b"short", BINDING)
    with pytest.raises(ValueError, match="key id"):
        Binding(uuid.uuid4(), uuid.uuid4(), "other", "")
    with pytest.raises(ValueError, match="nonces"):
        seal(
            b"x",
            PATIENT_KEY,
            BINDING,
            randbytes=lambda n: b"\x00" * min(n, 8) if n == 12 else os.urandom(n),
        )
