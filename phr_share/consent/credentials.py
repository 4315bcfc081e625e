"""Passwords and API tokens, pure: hashing, checking, minting.

Passwords are hashed with scrypt (memory-hard: 2^15 x 8 x 128 bytes = 32 MiB per guess),
the parameters stored with each hash so they can be raised later. API tokens carry 256
random bits, so a single SHA-256 is enough at rest; only their digest is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from phr_share.errors import InvalidInput

__all__ = [
    "DEFAULT_COST",
    "ScryptCost",
    "check_password",
    "hash_password",
    "mint_token",
    "token_digest",
]

TOKEN_PREFIX = "phr_"  # noqa: S105 (a public marker, not a secret)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt's work factors: log2 of N, block size r, parallelism p."""

    log_n: int = 15
    r: int = 8
    p: int = 1

    @property
    def memory(self) -> int:
        """Bytes of memory one hash needs."""
        return 128 * self.r * (1 << self.log_n) * self.p


DEFAULT_COST = ScryptCost()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=2**cost.log_n,
        r=cost.r,
        p=cost.p,
        maxmem=2 * cost.memory + 1024 * 1024,
        dklen=32,
    )


def hash_password(
    password: str, randbytes: Callable[[int], bytes], cost: ScryptCost = DEFAULT_COST
) -> str:
    """``scrypt$logN$r$p$salt$hash``; raises InvalidInput for a too short or too long password."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"a password needs between {MIN_PASSWORD} and {MAX_PASSWORD} characters")
    salt = randbytes(16)
    digest = _scrypt(password, salt, cost)
    return f"scrypt${cost.log_n}${cost.r}${cost.p}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches; a missing or malformed hash never matches."""
    if stored is None or len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, log_n, r, p, salt, digest = stored.split("$")
        cost = ScryptCost(int(log_n), int(r), int(p))
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), cost)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def mint_token(randbytes: Callable[[int], bytes]) -> str:
    """A new API token: the prefix (so scanners spot leaked ones) and 256 random bits."""
    return TOKEN_PREFIX + _b64(randbytes(32))


def token_digest(token: str) -> str:
    """What is stored for a token: the SHA-256 of the whole token, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
