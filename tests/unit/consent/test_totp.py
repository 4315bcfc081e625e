"""TOTP: RFC 6238's own test vectors, the drift either side, recovery codes."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from phr_share.consent.totp import (
    code_at,
    matching_step,
    new_totp_secret,
    provisioning_uri,
    step_of,
)
from phr_share.crypto import keyed_digest, mint_recovery_codes, recovery_code_form

# RFC 6238, appendix B: the SHA-1 seed is the ASCII "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("seconds", "expected"), RFC_VECTORS)
def test_the_rfc_6238_vectors(seconds: int, expected: str) -> None:
    at = datetime.fromtimestamp(seconds, UTC)
    assert code_at(RFC_SECRET, step_of(at), digits=8) == expected
    assert code_at(RFC_SECRET, step_of(at)) == expected[-6:]  # six digits, as apps show


def test_a_code_is_accepted_one_step_either_side_and_no_further() -> None:
    secret = new_totp_secret(os.urandom)
    now = datetime(2026, 11, 22, 12, 0, 10, tzinfo=UTC)
    step = step_of(now)
    for offset in (-1, 0, 1):
        assert matching_step(secret, code_at(secret, step + offset), now) == step + offset
    for offset in (-3, -2, 2, 3):
        code = code_at(secret, step + offset)
        if all(code != code_at(secret, step + n) for n in (-1, 0, 1)):  # no chance collision
            assert matching_step(secret, code, now) is None
    spaced = code_at(secret, step)[:3] + " " + code_at(secret, step)[3:]
    assert matching_step(secret, spaced, now) == step
    for junk in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert matching_step(secret, junk, now) is None
    assert step_of(now + timedelta(seconds=30)) == step + 1


def test_secrets_are_160_random_bits_in_base32_and_the_uri_names_the_issuer() -> None:
    secret = new_totp_secret(lambda n: bytes(range(n)))
    assert base64.b32decode(secret) == bytes(range(20))
    assert new_totp_secret(os.urandom) != new_totp_secret(os.urandom)
    uri = urlsplit(provisioning_uri(secret, "dr.kim"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/PHR%20Share:dr.kim"
    assert parse_qs(uri.query) == {"secret": [secret], "issuer": ["PHR Share"]}


def test_recovery_codes_are_ten_distinct_and_read_back_however_typed() -> None:
    codes = mint_recovery_codes(os.urandom)
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert len(code) == 11
        assert code[5] == "-"
        assert recovery_code_form(code) == code
        assert recovery_code_form(code.upper().replace("-", " ")) == code
    assert mint_recovery_codes(lambda n: b"\x00" * n, 1) == ["00000-00000"]
    for junk in ("", "123456", "abcde-fghi", "abcde-fghiu", "abcde-fghij-k"):
        assert recovery_code_form(junk) is None  # u is not in the alphabet


def test_a_keyed_digest_depends_on_the_key() -> None:
    assert keyed_digest(b"k" * 32, "abcde-fghjk") != keyed_digest(b"j" * 32, "abcde-fghjk")
    assert len(keyed_digest(b"k" * 32, "x")) == 64
