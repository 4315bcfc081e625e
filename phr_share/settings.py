"""Configuration: the only module that reads ``os.environ`` (``PHR_*`` variables).

Every variable is documented once, in ``deploy/phr-share.env.sample``. Beneath the
environment lies ``$PHR_STATE_DIR/stack.env``, written by ``phr-share stack up``, so the
commands find the local stack without exports; a variable that is set always wins.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from phr_share.errors import ConfigurationError
from phr_share.models import ACCOUNT_ROLES, Role

__all__ = ["STACK_ENV_FILE", "Settings", "XmlLimits", "parse_env_file"]

_DEFAULT_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_DEFAULT_MAX_XML_DEPTH = 256
_DEFAULT_MAX_SECTIONS = 500
_MOST_SECTIONS = 100_000
_DATE_MODES = ("year", "shift")
_KEYSTORES = ("file", "kms")
_SWIFT_AUTH_VERSIONS = ("1", "3")
_CONTAINER = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")
STACK_ENV_FILE = "stack.env"
# Clinicians and admins read many patients' records: a password alone is not enough.
_DEFAULT_MFA_ROLES = frozenset({Role.DOCTOR, Role.NURSE, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """All the C-CDA core reads of the configuration: how big an untrusted document may be.

    :class:`Settings` checks the values; take them from :attr:`Settings.xml_limits`.
    """

    max_document_bytes: int = _DEFAULT_MAX_DOCUMENT_BYTES
    max_xml_depth: int = _DEFAULT_MAX_XML_DEPTH
    max_sections: int = _DEFAULT_MAX_SECTIONS


@dataclass(frozen=True, slots=True)
class Settings:
    """Frozen configuration; build it with :meth:`from_env` or directly in tests."""

    max_document_bytes: int = _DEFAULT_MAX_DOCUMENT_BYTES
    max_xml_depth: int = _DEFAULT_MAX_XML_DEPTH
    max_sections: int = _DEFAULT_MAX_SECTIONS
    state_dir: Path = Path("var")
    deid_secret: bytes | None = None
    deid_dates: str = "year"
    kanon_k: int = 5
    kanon_max_suppressed: float = 0.05
    database_url: str = ""
    swift_auth_url: str = ""
    swift_auth_version: str = "1"
    swift_user: str = ""
    swift_key: str = ""
    swift_project: str = ""
    swift_user_domain: str = "Default"
    swift_project_domain: str = "Default"
    s3_endpoint_url: str = ""
    s3_bucket: str = "phr-share-research"
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    keystore: str = "file"
    kms_key_alias: str = "alias/phr-share-master"
    kms_endpoint_url: str = ""
    routing_policy: Path | None = None
    store_concurrency: int = 8
    web_secret: bytes | None = None
    web_secure_cookies: bool = True
    web_port: int = 8080
    web_trusted_proxy: str | None = None
    emergency_number: str = "911"
    audit_head_interval: int = 300
    audit_heads_public: bool = False
    audit_container: str = "phr-share-audit"
    require_mfa_roles: frozenset[Role] = _DEFAULT_MFA_ROLES
    mfa_secret: bytes | None = None
    smtp_url: str = ""
    mail_from: str = "PHR Share <no-reply@localhost>"
    public_url: str = ""
    metrics_token: str = ""

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: PHR_DATABASE_URL, else a SQLite file in the state directory."""
        return self.database_url or f"sqlite:///{self.state_dir / 'phr-share.db'}"

    @property
    def site_url(self) -> str:
        """The base of links in e-mails: PHR_PUBLIC_URL, else the local web server."""
        return (self.public_url or f"http://localhost:{self.web_port}").rstrip("/")

    @property
    def xml_limits(self) -> XmlLimits:
        """The document size, depth and section limits, for the C-CDA core."""
        return XmlLimits(self.max_document_bytes, self.max_xml_depth, self.max_sections)

    @property
    def master_key_dir(self) -> Path:
        """Where the local key store keeps its master key versions (and the audit signing key)."""
        return self.state_dir / "keys"

    def __post_init__(self) -> None:
        if self.max_document_bytes < 1:
            raise ConfigurationError("PHR_MAX_DOCUMENT_BYTES must be a positive number of bytes")
        # libxml2 refuses anything deeper than 256 by itself; a higher limit would be a lie.
        if not 8 <= self.max_xml_depth <= 256:
            raise ConfigurationError("PHR_MAX_XML_DEPTH must be between 8 and 256")
        if not 1 <= self.max_sections <= _MOST_SECTIONS:
            raise ConfigurationError(f"PHR_MAX_SECTIONS must be between 1 and {_MOST_SECTIONS:,}")
        if self.deid_secret is not None and len(self.deid_secret) < 32:
            raise ConfigurationError("PHR_DEID_SECRET must be at least 32 bytes (64 hex digits)")
        if self.deid_dates not in _DATE_MODES:
            raise ConfigurationError("PHR_DEID_DATES must be 'year' or 'shift'")
        if self.kanon_k < 2:
            raise ConfigurationError("PHR_KANON_K must be 2 or more")
        if not 0 <= self.kanon_max_suppressed <= 0.5:
            raise ConfigurationError("PHR_KANON_MAX_SUPPRESSED must be between 0 and 0.5")
        if self.keystore not in _KEYSTORES:
            raise ConfigurationError("PHR_KEYSTORE must be 'file' or 'kms'")
        if self.swift_auth_version not in _SWIFT_AUTH_VERSIONS:
            raise ConfigurationError("PHR_SWIFT_AUTH_VERSION must be 1 (tempauth) or 3 (Keystone)")
        if not 1 <= self.store_concurrency <= 64:
            raise ConfigurationError("PHR_STORE_CONCURRENCY must be between 1 and 64")
        if self.web_secret is not None and len(self.web_secret) < 32:
            raise ConfigurationError("PHR_WEB_SECRET must be at least 32 bytes (64 hex digits)")
        if not 1 <= self.web_port <= 65535:
            raise ConfigurationError("PHR_WEB_PORT must be a TCP port (1-65535)")
        if self.web_trusted_proxy is not None:
            try:
                ipaddress.ip_address(self.web_trusted_proxy)
            except ValueError:
                raise ConfigurationError(
                    "PHR_WEB_TRUSTED_PROXY must be the IP address of the reverse proxy"
                ) from None
        if not 0 <= self.audit_head_interval <= 86400:
            raise ConfigurationError(
                "PHR_AUDIT_HEAD_INTERVAL must be between 0 (off) and 86400 seconds"
            )
        if not _CONTAINER.fullmatch(self.audit_container):
            raise ConfigurationError(
                "PHR_AUDIT_CONTAINER must be 1-64 letters, digits, dots, dashes or underscores"
            )
        if not self.require_mfa_roles <= ACCOUNT_ROLES:
            raise ConfigurationError("PHR_REQUIRE_MFA_ROLES names roles accounts do not have")
        if self.mfa_secret is not None and len(self.mfa_secret) < 32:
            raise ConfigurationError("PHR_MFA_SECRET must be at least 32 bytes (64 hex digits)")
        if self.smtp_url and urlsplit(self.smtp_url).scheme not in _SMTP_SCHEMES:
            raise ConfigurationError(
                "PHR_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"
            )
        if self.public_url and urlsplit(self.public_url).scheme not in {"http", "https"}:
            raise ConfigurationError("PHR_PUBLIC_URL must be an http:// or https:// address")
        if self.metrics_token and len(self.metrics_token) < 32:
            raise ConfigurationError("PHR_METRICS_TOKEN must be at least 32 characters")
        if not 3 <= len(self.s3_bucket) <= 63:
            raise ConfigurationError("PHR_S3_BUCKET must be a valid bucket name (3-63 characters)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``PHR_*`` variables; raises ConfigurationError on an unusable value."""
        env = _with_stack_defaults(os.environ if environ is None else environ)
        routing = _raw(env, "PHR_ROUTING_POLICY")
        return cls(
            max_document_bytes=_int(env, "PHR_MAX_DOCUMENT_BYTES", _DEFAULT_MAX_DOCUMENT_BYTES),
            max_xml_depth=_int(env, "PHR_MAX_XML_DEPTH", _DEFAULT_MAX_XML_DEPTH),
            max_sections=_int(env, "PHR_MAX_SECTIONS", _DEFAULT_MAX_SECTIONS),
            state_dir=Path(env.get("PHR_STATE_DIR", "").strip() or "var"),
            deid_secret=_hex(env, "PHR_DEID_SECRET"),
            deid_dates=env.get("PHR_DEID_DATES", "").strip().lower() or "year",
            kanon_k=_int(env, "PHR_KANON_K", 5),
            kanon_max_suppressed=_float(env, "PHR_KANON_MAX_SUPPRESSED", 0.05),
            database_url=_raw(env, "PHR_DATABASE_URL"),
            swift_auth_url=_raw(env, "PHR_SWIFT_AUTH_URL"),
            swift_auth_version=_raw(env, "PHR_SWIFT_AUTH_VERSION") or "1",
            swift_user=_raw(env, "PHR_SWIFT_USER"),
            swift_key=_raw(env, "PHR_SWIFT_KEY"),
            swift_project=_raw(env, "PHR_SWIFT_PROJECT"),
            swift_user_domain=_raw(env, "PHR_SWIFT_USER_DOMAIN") or "Default",
            swift_project_domain=_raw(env, "PHR_SWIFT_PROJECT_DOMAIN") or "Default",
            s3_endpoint_url=_raw(env, "PHR_S3_ENDPOINT_URL"),
            s3_bucket=_raw(env, "PHR_S3_BUCKET") or "phr-share-research",
            s3_region=_raw(env, "PHR_S3_REGION") or "us-east-1",
            s3_access_key_id=_raw(env, "PHR_S3_ACCESS_KEY_ID"),
            s3_secret_access_key=_raw(env, "PHR_S3_SECRET_ACCESS_KEY"),
            keystore=_raw(env, "PHR_KEYSTORE").lower() or "file",
            kms_key_alias=_raw(env, "PHR_KMS_KEY_ALIAS") or "alias/phr-share-master",
            kms_endpoint_url=_raw(env, "PHR_KMS_ENDPOINT_URL"),
            routing_policy=Path(routing) if routing else None,
            store_concurrency=_int(env, "PHR_STORE_CONCURRENCY", 8),
            web_secret=_hex(env, "PHR_WEB_SECRET"),
            web_secure_cookies=_raw(env, "PHR_WEB_SECURE_COOKIES").lower()
            not in {"0", "false", "no"},
            web_port=_int(env, "PHR_WEB_PORT", 8080),
            web_trusted_proxy=_raw(env, "PHR_WEB_TRUSTED_PROXY") or None,
            emergency_number=_raw(env, "PHR_EMERGENCY_NUMBER") or "911",
            audit_head_interval=_int(env, "PHR_AUDIT_HEAD_INTERVAL", 300),
            audit_heads_public=_raw(env, "PHR_AUDIT_HEADS_PUBLIC").lower() in {"1", "true", "yes"},
            audit_container=_raw(env, "PHR_AUDIT_CONTAINER") or "phr-share-audit",
            require_mfa_roles=_roles(env, "PHR_REQUIRE_MFA_ROLES", _DEFAULT_MFA_ROLES),
            mfa_secret=_hex(env, "PHR_MFA_SECRET"),
            smtp_url=_raw(env, "PHR_SMTP_URL"),
            mail_from=_raw(env, "PHR_MAIL_FROM") or "PHR Share <no-reply@localhost>",
            public_url=_raw(env, "PHR_PUBLIC_URL"),
            metrics_token=_raw(env, "PHR_METRICS_TOKEN"),
        )


def _with_stack_defaults(env: Mapping[str, str]) -> Mapping[str, str]:
    """The environment laid over ``stack.env`` from the state directory, when there is one."""
    state_dir = Path(env.get("PHR_STATE_DIR", "").strip() or "var")
    try:
        text = (state_dir / STACK_ENV_FILE).read_text(encoding="utf-8")
    except OSError:
        return env
    layered = dict(parse_env_file(text))
    layered.update({k: v for k, v in env.items() if v.strip()})
    return layered


def parse_env_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines of a PHR_* env file; comments, blanks and other names ignored."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.startswith("PHR_") and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


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


def _roles(env: Mapping[str, str], name: str, default: frozenset[Role]) -> frozenset[Role]:
    raw = _raw(env, name).lower()
    if not raw:
        return default
    if raw == "none":
        return frozenset()
    try:
        return frozenset(Role(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigurationError(
            f"{name} is a comma-separated list of roles (patient, doctor, nurse, "
            "researcher, admin), or none"
        ) from None


def _hex(env: Mapping[str, str], name: str) -> bytes | None:
    raw = _raw(env, name)
    try:
        return bytes.fromhex(raw) if raw else None
    except ValueError:
        raise ConfigurationError(f"{name} must be hexadecimal") from None
