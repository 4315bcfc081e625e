"""Configuration: the only module that reads ``os.environ`` (``PHR_*`` variables).

Every variable is documented once, in ``deploy/phr-share.env.sample``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from phr_share.errors import ConfigurationError

__all__ = ["Settings"]

_DEFAULT_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_DEFAULT_MAX_XML_DEPTH = 256


@dataclass(frozen=True, slots=True)
class Settings:
    """Frozen configuration; build it with :meth:`from_env` or directly in tests."""

    max_document_bytes: int = _DEFAULT_MAX_DOCUMENT_BYTES
    max_xml_depth: int = _DEFAULT_MAX_XML_DEPTH

    def __post_init__(self) -> None:
        if self.max_document_bytes < 1:
            raise ConfigurationError("PHR_MAX_DOCUMENT_BYTES must be a positive number of bytes")
        # libxml2 refuses anything deeper than 256 by itself; a higher limit would be a lie.
        if not 8 <= self.max_xml_depth <= 256:
            raise ConfigurationError("PHR_MAX_XML_DEPTH must be between 8 and 256")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``PHR_*`` variables; raises ConfigurationError on an unusable value."""
        env = os.environ if environ is None else environ
        return cls(
            max_document_bytes=_int(env, "PHR_MAX_DOCUMENT_BYTES", _DEFAULT_MAX_DOCUMENT_BYTES),
            max_xml_depth=_int(env, "PHR_MAX_XML_DEPTH", _DEFAULT_MAX_XML_DEPTH),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number") from None
