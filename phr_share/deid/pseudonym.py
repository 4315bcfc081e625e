"""Keyed, one-way stand-ins for a patient: pseudonym, date offset, replaced ids.

All are HMAC-SHA256 under the de-identification secret with a distinct label each, so
they are stable for a patient (research can follow one person over time), differ
between patients, and cannot be reversed or recomputed without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from phr_share.errors import ConfigurationError

__all__ = ["MIN_SECRET_BYTES", "date_offset_days", "pseudonym", "replacement_id"]

MIN_SECRET_BYTES = 32
_MAX_SHIFT_DAYS = 365


def _mac(secret: bytes, label: bytes, *parts: bytes) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"the de-identification secret must be at least {MIN_SECRET_BYTES} bytes"
        )
    message = b"\x00".join((b"phr-share/v1", label, *parts))
    return hmac.new(secret, message, hashlib.sha256).digest()


def pseudonym(secret: bytes, patient_id: uuid.UUID) -> str:
    """The patient's research pseudonym: 32 hex characters."""
    return _mac(secret, b"pseudonym", patient_id.bytes)[:16].hex()


def date_offset_days(secret: bytes, patient_id: uuid.UUID) -> int:
    """The patient's secret date shift: between -365 and +365 days, never 0."""
    number = int.from_bytes(_mac(secret, b"date-shift", patient_id.bytes)[:8], "big")
    offset = number % (2 * _MAX_SHIFT_DAYS + 1) - _MAX_SHIFT_DAYS
    return offset or _MAX_SHIFT_DAYS


def replacement_id(secret: bytes, patient_id: uuid.UUID, root: str, extension: str | None) -> str:
    """A stable stand-in for one instance identifier of one patient (24 hex characters)."""
    original = f"{root}^{extension or ''}".encode()
    return _mac(secret, b"identifier", patient_id.bytes, original)[:12].hex()
