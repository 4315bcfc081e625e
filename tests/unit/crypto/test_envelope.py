"""The sealed-object format: known answers, round trips and every kind of tampering."""

from __future__ import annotations

import hmac
import json
import os
import uuid
from dataclasses import replace
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from phr_share.crypto import (
    FORMAT_VERSION,
    Binding,
    envelope,
    new_key,
    open_sealed,
    peek_key_id,
    seal,
)
from phr_share.errors import IntegrityError
from tests.unit.crypto.vectors import PATIENT_KEY, VECTORS, Replay, binding_for, sealed

ROWS: list[dict[str, str]] = json.loads(VECTORS.read_text())
BINDING = Binding(uuid.uuid4(), uuid.uuid4(), "physical-signs", "pk1")
MESSAGE = "a stored object failed its integrity check"
SMALL = b"<section>BP 128/82</section>"


def _hkdf(data_key: bytes, info: bytes) -> bytes:
    """The subkeys, derived here with hazmat so the test pins the labels independently."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(data_key)


def _fails(blob: bytes, key: bytes = PATIENT_KEY, binding: Binding = BINDING) -> None:
    with pytest.raises(IntegrityError) as caught:
        open_sealed(blob, key, binding)
    assert str(caught.value) == MESSAGE
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


# -- known answers ---------------------------------------------------------------------


def test_the_vectors_cover_empty_small_and_kilobytes() -> None:
    sizes = sorted(len(row["plaintext"]) // 2 for row in ROWS)
    assert len(ROWS) >= 3
    assert sizes[0] == 0
    assert any(0 < size < 100 for size in sizes)
    assert sizes[-1] >= 2048


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_known_answer_vectors_pin_the_format(row: dict[str, str]) -> None:
    randbytes = Replay(bytes.fromhex(row["random"]))
    blob = seal(
        bytes.fromhex(row["plaintext"]),
        bytes.fromhex(row["patient_key"]),
        binding_for(row),
        randbytes=randbytes,
    )
    assert blob.hex() == row["sealed"]
    assert randbytes.stream == b""  # every recorded byte used, no more
    key = bytes.fromhex(row["patient_key"])
    assert open_sealed(blob, key, binding_for(row)) == bytes.fromhex(row["plaintext"])
    assert peek_key_id(blob) == row["key_id"]
    assert sealed(row) == blob


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_the_bytes_are_where_the_docstring_says(row: dict[str, str]) -> None:
    """Decode a vector by hand, with hazmat only, at the documented offsets."""
    blob, random = bytes.fromhex(row["sealed"]), bytes.fromhex(row["random"])
    data_key, wrap_nonce, payload_nonce = random[:32], random[32:44], random[44:56]
    key_id = row["key_id"].encode()
    size = len(key_id)
    assert blob[:7] == b"PHRS" + bytes([FORMAT_VERSION, 1, size])
    assert blob[7 : 7 + size] == key_id
    assert blob[7 + size : 19 + size] == wrap_nonce
    bound = binding_for(row).associated_data()
    wrap_ad = b"phr-share/wrap" + bound
    patient_key = bytes.fromhex(row["patient_key"])
    assert AESGCM(patient_key).decrypt(wrap_nonce, blob[19 + size : 67 + size], wrap_ad) == (
        data_key
    )
    assert blob[67 + size : 99 + size] == _hkdf(data_key, b"phr-share/commit/1")
    assert blob[99 + size : 111 + size] == payload_nonce
    header = blob[: 111 + size]
    payload = AESGCM(_hkdf(data_key, b"phr-share/enc/1")).decrypt(
        payload_nonce, blob[111 + size :], header + bound
    )
    assert payload == bytes.fromhex(row["plaintext"])
    assert len(blob) == 127 + size + len(payload)


def test_the_binding_encoding_is_length_prefixed() -> None:
    patient, tracking = uuid.UUID(int=1), uuid.UUID(int=2)
    encoded = Binding(patient, tracking, "other", "pk1").associated_data()
    assert encoded == (
        b"phr-share/binding\x01" + patient.bytes + tracking.bytes + b"\x00\x05other\x00\x03pk1"
    )
    # Moving a character across the kind / key id boundary changes the encoding.
    moved = Binding(patient, tracking, "othe", "rpk1").associated_data()
    assert moved != encoded


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2048, 65536])
def test_round_trip_and_fresh_randomness(size: int) -> None:
    key, plaintext = new_key(), os.urandom(size)
    first, second = seal(plaintext, key, BINDING), seal(plaintext, key, BINDING)
    assert first != second
    assert open_sealed(first, key, BINDING) == open_sealed(second, key, BINDING) == plaintext
    assert len(first) == len(plaintext) + 127 + len(BINDING.key_id)


# -- tampering: one error, one message -------------------------------------------------


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_every_flipped_bit_position_fails(mask: int) -> None:
    blob = seal(SMALL, PATIENT_KEY, BINDING)
    for index in range(len(blob)):
        flipped = bytearray(blob)
        flipped[index] ^= mask
        _fails(bytes(flipped))


def test_every_truncation_fails() -> None:
    blob = seal(SMALL, PATIENT_KEY, BINDING)
    for length in range(len(blob)):
        _fails(blob[:length])


@pytest.mark.parametrize("extra", [b"\x00", b"\x00" * 16, os.urandom(1000)])
def test_any_extension_fails(extra: bytes) -> None:
    _fails(seal(SMALL, PATIENT_KEY, BINDING) + extra)


def test_blobs_swapped_between_two_bindings_fail() -> None:
    other = Binding(uuid.uuid4(), uuid.uuid4(), BINDING.kind, BINDING.key_id)
    mine, theirs = seal(SMALL, PATIENT_KEY, BINDING), seal(SMALL, PATIENT_KEY, other)
    assert open_sealed(theirs, PATIENT_KEY, other) == SMALL
    _fails(theirs, binding=BINDING)
    _fails(mine, binding=other)


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
    _fails(seal(SMALL, PATIENT_KEY, BINDING), binding=changed)


def test_a_key_id_changed_in_the_header_or_in_the_binding_fails() -> None:
    blob = seal(SMALL, PATIENT_KEY, BINDING)
    forged = blob.replace(b"pk1", b"pk2", 1)
    assert peek_key_id(forged) == "pk2"
    _fails(forged)  # header edited, binding (from metadata) not
    _fails(forged, binding=replace(BINDING, key_id="pk2"))  # both edited to agree
    _fails(blob, binding=replace(BINDING, key_id="pk2"))  # metadata edited only


def test_a_wrong_patient_key_fails() -> None:
    _fails(seal(SMALL, PATIENT_KEY, BINDING), key=new_key())


def test_a_blob_that_is_not_ours_fails() -> None:
    for junk in (b"", b"PHRS", os.urandom(200), b"PHRS\x02" + bytes(200)):
        _fails(junk)


# -- key commitment --------------------------------------------------------------------


def _parts(blob: bytes) -> dict[str, bytes]:
    return {
        "fixed": blob[:10],  # magic, version, algorithm, length, "pk1"
        "wrap_nonce": blob[10:22],
        "wrapped": blob[22:70],
        "commitment": blob[70:102],
        "payload_nonce": blob[102:114],
    }


def _payload(data_key: bytes, header: bytes, nonce: bytes) -> bytes:
    bound = BINDING.associated_data()
    return AESGCM(_hkdf(data_key, b"phr-share/enc/1")).encrypt(
        nonce, b"<section>forged</section>", header + bound
    )


def _rewrapped(blob: bytes, data_key: bytes, *, commit: bool) -> bytes:
    """Another data key, wrapped and used authentically under the patient key; the
    original commitment kept unless ``commit``."""
    part = _parts(blob)
    wrap_ad = b"phr-share/wrap" + BINDING.associated_data()
    wrapped = AESGCM(PATIENT_KEY).encrypt(part["wrap_nonce"], data_key, wrap_ad)
    commitment = _hkdf(data_key, b"phr-share/commit/1") if commit else part["commitment"]
    header = part["fixed"] + part["wrap_nonce"] + wrapped + commitment + part["payload_nonce"]
    return header + _payload(data_key, header, part["payload_nonce"])


def test_a_payload_under_another_data_key_fails() -> None:
    blob = seal(b"<section>real</section>", PATIENT_KEY, BINDING)
    header = blob[:114]
    _fails(header + _payload(os.urandom(32), header, _parts(blob)["payload_nonce"]))


def test_the_key_commitment_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    blob = seal(b"<section>real</section>", PATIENT_KEY, BINDING)
    other = os.urandom(32)
    # Control: the same forgery with a matching commitment opens, so the refusal
    # below is the commitment check's doing, not an AEAD tag's.
    assert open_sealed(_rewrapped(blob, other, commit=True), PATIENT_KEY, BINDING) == (
        b"<section>forged</section>"
    )
    verdicts: list[bool] = []

    def spy(left: bytes, right: bytes) -> bool:
        verdicts.append(hmac.compare_digest(left, right))
        return verdicts[-1]

    monkeypatch.setattr(envelope, "hmac", SimpleNamespace(compare_digest=spy))
    _fails(_rewrapped(blob, other, commit=False))
    assert verdicts == [False]


# -- programming errors are not integrity errors ---------------------------------------


@pytest.mark.parametrize("key", [b"", b"short", bytes(31), bytes(33), bytes(64)])
def test_key_sizes_are_checked_eagerly(key: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal(b"x", key, BINDING)
    with pytest.raises(ValueError, match="32 bytes"):
        open_sealed(seal(b"x", PATIENT_KEY, BINDING), key, BINDING)


def test_random_sizes_are_checked_eagerly() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        new_key(lambda n: bytes(n - 1))
    with pytest.raises(ValueError, match="nonces"):
        seal(b"x", PATIENT_KEY, BINDING, randbytes=lambda n: bytes(8) if n == 12 else bytes(n))


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"key_id": ""}, ValueError),
        ({"key_id": "k" * 33}, ValueError),
        ({"key_id": "pk 1"}, ValueError),
        ({"key_id": "pké"}, ValueError),
        ({"kind": ""}, ValueError),
        ({"kind": "x" * 65}, ValueError),
        ({"patient_id": str(uuid.uuid4())}, TypeError),
        ({"tracking_id": 7}, TypeError),
    ],
)
def test_a_malformed_binding_is_refused(fields: dict[str, object], error: type[Exception]) -> None:
    values: dict[str, object] = {
        "patient_id": uuid.uuid4(),
        "tracking_id": uuid.uuid4(),
        "kind": "other",
        "key_id": "pk1",
        **fields,
    }
    with pytest.raises(error):
        Binding(**values)  # type: ignore[arg-type]


def test_peek_key_id_refuses_what_cannot_be_a_header() -> None:
    blob = seal(SMALL, PATIENT_KEY, BINDING)
    assert peek_key_id(blob) == "pk1"
    for bad in (b"", blob[:50], b"XXXX" + blob[4:], blob.replace(b"pk1", b"p\x00k", 1)):
        with pytest.raises(IntegrityError, match=MESSAGE):
            peek_key_id(bad)
