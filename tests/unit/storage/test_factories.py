"""The stores the settings describe."""

from __future__ import annotations

import pytest

from phr_share.errors import ConfigurationError
from phr_share.settings import Settings
from phr_share.storage import S3Store, SwiftStore, open_private_store, open_public_store


def test_no_swift_url_says_how_to_get_one() -> None:
    with pytest.raises(ConfigurationError, match=r"PHR_SWIFT_AUTH_URL.*phr-share stack up"):
        open_private_store(Settings())


def test_a_swift_url_without_credentials_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="PHR_SWIFT_USER"):
        open_private_store(Settings(swift_auth_url="http://127.0.0.1:1/auth/v1.0"))


def test_keystone_needs_a_project() -> None:
    settings = Settings(
        swift_auth_url="http://127.0.0.1:1/v3",
        swift_auth_version="3",
        swift_user="phr",
        swift_key="k",
    )
    with pytest.raises(ConfigurationError, match="PHR_SWIFT_PROJECT"):
        open_private_store(settings)


def test_the_stores_the_settings_describe() -> None:
    settings = Settings(
        swift_auth_url="http://127.0.0.1:1/auth/v1.0",
        swift_user="phr:phr",
        swift_key="k",
        s3_endpoint_url="http://127.0.0.1:1",
        s3_bucket="research",
        s3_access_key_id="a",
        s3_secret_access_key="s",
    )
    private = open_private_store(settings)
    public = open_public_store(settings)
    assert isinstance(private, SwiftStore)
    assert isinstance(public, S3Store)
    assert (private.name, public.name, public.bucket) == ("swift", "s3", "research")
    assert public.client.meta.endpoint_url == "http://127.0.0.1:1"
