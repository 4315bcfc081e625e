"""Passwords (scrypt, memory-hard) and API tokens (random, stored as digests)."""

from __future__ import annotations

import os

import pytest

from phr_share.crypto import (
    DEFAULT_COST,
    ScryptCost,
    check_password,
    hash_password,
    mint_token,
    token_digest,
)
from phr_share.errors import InvalidInput

CHEAP = ScryptCost(log_n=10)


def test_the_default_cost_is_memory_hard() -> None:
    assert DEFAULT_COST.memory >= 32 * 1024 * 1024
    stored = hash_password("a long enough password", os.urandom)
    assert stored.startswith("scrypt$15$8$1$")
    assert check_password("a long enough password", stored)


def test_hashes_are_salted_and_checked_exactly() -> None:
    first = hash_password("a long enough password", os.urandom, CHEAP)
    second = hash_password("a long enough password", os.urandom, CHEAP)
    assert first != second
    assert "a long enough password" not in first
    assert check_password("a long enough password", second)
    assert not check_password("a long enough passwore", first)
    assert not check_password("", first)


@pytest.mark.parametrize(
    "stored",
    [None, "", "md5$abc", "scrypt$x$8$1$AA$AA", "scrypt$10$8$1$!!$AA", "pbkdf2$10$8$1$AA$AA"],
)
def test_malformed_hashes_never_match(stored: str | None) -> None:
    assert not check_password("a long enough password", stored)


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_password_length_is_bounded(password: str) -> None:
    with pytest.raises(InvalidInput, match="between 10 and 1024"):
        hash_password(password, os.urandom, CHEAP)


def test_tokens_are_random_prefixed_and_stored_as_digests() -> None:
    token = mint_token(os.urandom)
    assert token.startswith("phr_")
    assert len(token) == 4 + 43
    assert mint_token(os.urandom) != token
    assert token_digest(token) != token
    assert len(token_digest(token)) == 64
    assert mint_token(lambda n: bytes(n)) == "phr_" + "A" * 43
