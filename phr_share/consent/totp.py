"""Time-based one-time passwords (RFC 6238), pure: the only user of ``pyotp``.

A code is HMAC-SHA1 of the 30-second time step under the account's secret, six digits,
which every authenticator app computes. A code is accepted for the current step and one
either side (a phone clock a little off); the caller remembers the last step used and
refuses it again, so a code overheard is worth nothing once it has been used.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from datetime import datetime

import pyotp

__all__ = [
    "DIGITS",
    "ISSUER",
    "STEP_SECONDS",
    "code_at",
    "matching_step",
    "new_totp_secret",
    "provisioning_uri",
    "step_of",
]

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "PHR Share"
_SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends
_DRIFT = 1  # steps accepted either side of the current one


def new_totp_secret(randbytes: Callable[[int], bytes]) -> str:
    """A fresh secret, in the base32 that authenticator apps take (32 characters)."""
    return base64.b32encode(randbytes(_SECRET_BYTES)).decode("ascii")


def step_of(at: datetime) -> int:
    """The RFC 6238 time step of a moment (seconds since 1970 // 30)."""
    return int(at.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code for one time step; ValueError for a secret that is not base32."""
    return pyotp.TOTP(secret, digits=digits, interval=STEP_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step near ``at`` whose code ``code`` is, or None; compared in constant time."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = step_of(at)
    found = None
    for step in range(now - _DRIFT, now + _DRIFT + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            found = step
    return found


def provisioning_uri(secret: str, account_name: str) -> str:
    """The ``otpauth://totp/...`` address an authenticator app reads from a QR code."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    return totp.provisioning_uri(name=account_name, issuer_name=ISSUER)
