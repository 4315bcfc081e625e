"""Object stores: one protocol, a Swift backend (private), an S3 backend (public), and an
in-memory one for tests. Driver errors are translated inside each backend."""

from phr_share.errors import ConfigurationError
from phr_share.settings import Settings
from phr_share.storage.base import Blob, BlobStore
from phr_share.storage.memory import MemoryStore
from phr_share.storage.s3 import S3Store
from phr_share.storage.swift import SwiftStore

__all__ = [
    "Blob",
    "BlobStore",
    "MemoryStore",
    "S3Store",
    "SwiftStore",
    "open_private_store",
    "open_public_store",
]


def open_private_store(settings: Settings) -> BlobStore:
    """The Swift store the PHR_SWIFT_* settings describe; ConfigurationError when unset."""
    if not settings.swift_auth_url:
        raise ConfigurationError(
            "PHR_SWIFT_AUTH_URL is not set: start the local stack with `phr-share stack up` "
            "or point it at your Swift"
        )
    if not (settings.swift_user and settings.swift_key):
        raise ConfigurationError(
            "PHR_SWIFT_USER and PHR_SWIFT_KEY must be set with PHR_SWIFT_AUTH_URL"
        )
    return SwiftStore(
        settings.swift_auth_url,
        settings.swift_user,
        settings.swift_key,
        auth_version=settings.swift_auth_version,
        project=settings.swift_project or None,
        user_domain=settings.swift_user_domain,
        project_domain=settings.swift_project_domain,
    )


def open_public_store(settings: Settings) -> BlobStore:
    """The S3 store the PHR_S3_* settings describe (AWS itself when no endpoint is set)."""
    return S3Store(
        settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url or None,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id or None,
        secret_access_key=settings.s3_secret_access_key or None,
    )
