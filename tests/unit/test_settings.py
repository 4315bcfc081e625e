"""Settings come from PHR_* variables only, and refuse values that cannot work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from phr_share.errors import ConfigurationError
from phr_share.models import Role
from phr_share.settings import Settings, XmlLimits
from tests.conftest import ROOT


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.max_document_bytes == 20 * 1024 * 1024
    assert settings.max_xml_depth == 256
    assert settings.max_sections == 500
    assert settings.xml_limits == XmlLimits()


def test_values_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"PHR_MAX_DOCUMENT_BYTES": "1000", "PHR_MAX_XML_DEPTH": " 64 ", "PHR_MAX_SECTIONS": "5000"}
    )
    assert (settings.max_document_bytes, settings.max_xml_depth) == (1000, 64)
    assert settings.max_sections == 5000
    assert settings.xml_limits == XmlLimits(1000, 64, 5000)


def test_the_audit_heads_settings() -> None:
    default = Settings.from_env({})
    assert (default.audit_head_interval, default.audit_heads_public) == (300, False)
    assert default.audit_container == "phr-share-audit"
    env = {"PHR_AUDIT_HEAD_INTERVAL": "0", "PHR_AUDIT_HEADS_PUBLIC": "true"}
    chosen = Settings.from_env({**env, "PHR_AUDIT_CONTAINER": "audit-2"})
    assert (chosen.audit_head_interval, chosen.audit_heads_public) == (0, True)
    assert chosen.audit_container == "audit-2"


@pytest.mark.parametrize(
    "env",
    [
        {"PHR_MAX_DOCUMENT_BYTES": "20MB"},
        {"PHR_MAX_DOCUMENT_BYTES": "0"},
        {"PHR_MAX_XML_DEPTH": "1000"},
        {"PHR_MAX_XML_DEPTH": "2"},
        {"PHR_MAX_SECTIONS": "0"},
        {"PHR_MAX_SECTIONS": "100001"},
        {"PHR_MAX_SECTIONS": "many"},
        {"PHR_WEB_TRUSTED_PROXY": "proxy.example"},
        {"PHR_AUDIT_HEAD_INTERVAL": "-1"},
        {"PHR_AUDIT_HEAD_INTERVAL": "5m"},
        {"PHR_AUDIT_CONTAINER": "audit/heads"},
        {"PHR_METRICS_TOKEN": "short"},
    ],
)
def test_unusable_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(env))):
        Settings.from_env(env)


def test_the_metrics_token() -> None:
    assert Settings.from_env({}).metrics_token == ""
    assert Settings.from_env({"PHR_METRICS_TOKEN": " " + "t" * 32}).metrics_token == "t" * 32


def test_every_setting_is_documented_once_in_the_sample_file() -> None:
    sample = (ROOT / "deploy" / "phr-share.env.sample").read_text()
    documented = re.findall(r"^#?\s*(PHR_[A-Z0-9_]+)=", sample, flags=re.MULTILINE)
    used = set(
        re.findall(r'"(PHR_[A-Z0-9_]+)"', Path(ROOT / "phr_share" / "settings.py").read_text())
    )
    assert sorted(documented) == sorted(set(documented)), "a setting is documented twice"
    assert used == set(documented)


def test_the_roles_that_sign_in_with_a_second_factor() -> None:
    assert Settings.from_env({}).require_mfa_roles == {Role.DOCTOR, Role.NURSE, Role.ADMIN}
    chosen = Settings.from_env({"PHR_REQUIRE_MFA_ROLES": " Admin, patient "})
    assert chosen.require_mfa_roles == {Role.ADMIN, Role.PATIENT}
    assert Settings.from_env({"PHR_REQUIRE_MFA_ROLES": "none"}).require_mfa_roles == set()
    for bad in ("wizard", "doctor,operator"):
        with pytest.raises(ConfigurationError, match="PHR_REQUIRE_MFA_ROLES"):
            Settings.from_env({"PHR_REQUIRE_MFA_ROLES": bad})
    with pytest.raises(ConfigurationError, match="PHR_MFA_SECRET"):
        Settings.from_env({"PHR_MFA_SECRET": "ab" * 16})
    assert Settings.from_env({"PHR_MFA_SECRET": "ab" * 32}).mfa_secret == b"\xab" * 32


def test_the_mail_settings() -> None:
    default = Settings.from_env({"PHR_WEB_PORT": "8123"})
    assert (default.smtp_url, default.site_url) == ("", "http://localhost:8123")
    chosen = Settings.from_env(
        {
            "PHR_SMTP_URL": "smtps://mailer:secret@mail.example.org:465",
            "PHR_MAIL_FROM": "PHR <phr@example.org>",
            "PHR_PUBLIC_URL": "https://phr.example.org/",
        }
    )
    assert chosen.site_url == "https://phr.example.org"
    assert chosen.mail_from == "PHR <phr@example.org>"
    for name, bad in [("PHR_SMTP_URL", "http://mail.example.org"), ("PHR_PUBLIC_URL", "phr.org")]:
        with pytest.raises(ConfigurationError, match=name):
            Settings.from_env({name: bad})
