"""Configuration: the only module that reads ``os.environ`` (``PHR_*`` variables).

Every variable is documented once, in ``deploy/phr-share.env.sample``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from phr_share.errors import ConfigurationError

__all__ = ["Settings"]

_DEFAULT_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_DEFAULT_MAX_XML_DEPTH = 256
_DATE_MODES = ("year", "shift")


@dataclass(frozen=True, slots=True)
class Settings:
    """Frozen configuration; build it with :meth:`from_env` or directly in tests."""

    max_document_bytes: int = _DEFAULT_MAX_DOCUMENT_BYTES
    max_xml_depth: int = _DEFAULT_MAX_XML_DEPTH
    state_dir: Path = Path("var")
    deid_secret: bytes | None = None
    deid_dates: str = "year"
    kanon_k: int = 5
    kanon_max_suppressed: float = 0.05

    def __post_init__(self) -> None:
        if self.max_document_bytes < 1:
            raise ConfigurationError("PHR_MAX_DOCUMENT_BYTES must be a positive number of bytes")
        # libxml2 refuses anything deeper than 256 by itself; a higher limit would be a lie.
        if not 8 <= self.max_xml_depth <= 256:
            raise ConfigurationError("PHR_MAX_XML_DEPTH must be between 8 and 256")
        if self.deid_secret is not None and len(self.deid_secret) < 32:
            raise ConfigurationError("PHR_DEID_SECRET must be at least 32 bytes (64 hex digits)")
        if self.deid_dates not in _DATE_MODES:
            raise ConfigurationError("PHR_DEID_DATES must be 'year' or 'shift'")
        if self.kanon_k < 2:
            raise ConfigurationError("PHR_KANON_K must be 2 or more")
        if not 0 <= self.kanon_max_suppressed <= 0.5:
            raise ConfigurationError("PHR_KANON_MAX_SUPPRESSED must be between 0 and 0.5")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``PHR_*`` variables; raises ConfigurationError on an unusable value."""
        env = os.environ if environ is None else environ
        return cls(
            max_document_bytes=_int(env, "PHR_MAX_DOCUMENT_BYTES", _DEFAULT_MAX_DOCUMENT_BYTES),
            max_xml_depth=_int(env, "PHR_MAX_XML_DEPTH", _DEFAULT_MAX_XML_DEPTH),
            state_dir=Path(env.get("PHR_STATE_DIR", "").strip() or "var"),
            deid_secret=_hex(env, "PHR_DEID_SECRET"),
            deid_dates=env.get("PHR_DEID_DATES", "").strip().lower() or "year",
            kanon_k=_int(env, "PHR_KANON_K", 5),
            kanon_max_suppressed=_float(env, "PHR_KANON_MAX_SUPPRESSED", 0.05),
        )


def _raw(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _raw(env, name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _raw(env, name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ConfigurationError(f"{name} must be a number") from None


def _hex(env: Mapping[str, str], name: str) -> bytes | None:
    raw = _raw(env, name)
    try:
        return bytes.fromhex(raw) if raw else None
    except ValueError:
        raise ConfigurationError(f"{name} must be hexadecimal") from None
