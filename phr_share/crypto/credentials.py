"""Passwords, API tokens and recovery codes, pure: hashing, checking, minting.

Passwords are hashed with scrypt (memory-hard: 2^15 x 8 x 128 bytes = 32 MiB per guess),
the parameters stored with each hash so they can be raised later. API tokens carry 256
random bits, so a single SHA-256 is enough at rest; only their digest is stored.
Recovery codes carry 50 random bits each: a keyed SHA-256 (HMAC) is stored, so the
database alone does not let anyone try them offline.
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
    "RECOVERY_CODES",
    "ScryptCost",
    "check_password",
    "hash_password",
    "keyed_digest",
    "mint_recovery_codes",
    "mint_token",
    "recovery_code_form",
    "token_digest",
]

TOKEN_PREFIX = "phr_"  # noqa: S105 (a public marker, not a secret)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
RECOVERY_CODES = 10
# Crockford's base32 alphabet, lower case: no i, l, o or u to misread.
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 10  # 10 x 5 bits = 50 random bits


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


def keyed_digest(key: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` under ``key``, hex: what is stored for a recovery code."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def mint_recovery_codes(
    randbytes: Callable[[int], bytes], count: int = RECOVERY_CODES
) -> list[str]:
    """Fresh one-time recovery codes, written ``xxxxx-xxxxx`` (50 random bits each)."""
    codes = []
    for _ in range(count):
        value = int.from_bytes(randbytes(8), "big")
        letters = "".join(
            _RECOVERY_ALPHABET[(value >> (5 * n)) & 31] for n in range(_RECOVERY_LENGTH)
        )
        codes.append(f"{letters[:5]}-{letters[5:]}")
    return codes


def recovery_code_form(text: str) -> str | None:
    """A recovery code as typed, in its stored form (``xxxxx-xxxxx``); None if it is not one.

    Case, spaces and dashes do not matter.
    """
    letters = "".join(text.split()).replace("-", "").lower()
    if len(letters) != _RECOVERY_LENGTH or any(c not in _RECOVERY_ALPHABET for c in letters):
        return None
    return f"{letters[:5]}-{letters[5:]}"
