"""OpenStack Swift as the private store (python-swiftclient; tempauth v1 or Keystone v3).

swiftclient connections are not thread-safe, so each thread keeps its own. Every
swiftclient or connection error is translated here into the package's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from swiftclient import client as swift
from swiftclient.exceptions import ClientException

from phr_share.errors import (
    ObjectNotFound,
    PhrShareError,
    StorageError,
    StoreConflict,
    StoreUnavailable,
)
from phr_share.storage.base import Blob, check_metadata

__all__ = ["SwiftStore"]

T = TypeVar("T")
_META = "x-object-meta-"


def _translate(error: Exception, what: str) -> PhrShareError:
    if isinstance(error, ClientException):
        status = error.http_status
        if status == 404:
            return ObjectNotFound(f"Swift has no such {what}")
        if status == 409:
            return StoreConflict(f"Swift reports a conflict on the {what}")
        if status in (401, 403):
            return StorageError("Swift refused the credentials (check PHR_SWIFT_*)")
        if status is None or status >= 500:
            return StoreUnavailable("Swift is unavailable")
        return StorageError(f"Swift refused the request on the {what} (HTTP {status})")
    return StoreUnavailable("Swift cannot be reached")


class SwiftStore:
    """Patient containers in one Swift account."""

    name = "swift"

    def __init__(
        self,
        auth_url: str,
        user: str,
        key: str,
        *,
        auth_version: str = "1",
        project: str | None = None,
        user_domain: str = "Default",
        project_domain: str = "Default",
        retries: int = 1,
        timeout: float = 10.0,
    ) -> None:
        options: dict[str, Any] = {}
        if auth_version == "3":
            options = {
                "project_name": project,
                "user_domain_name": user_domain,
                "project_domain_name": project_domain,
            }
        self._arguments: dict[str, Any] = {
            "authurl": auth_url,
            "user": user,
            "key": key,
            "auth_version": auth_version,
            "os_options": options,
            "retries": retries,
            "starting_backoff": 0.2,
            "max_backoff": 1,
            "timeout": timeout,
        }
        self._local = threading.local()
        self._ensured: set[str] = set()

    def _connection(self) -> swift.Connection:
        connection: swift.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = swift.Connection(**self._arguments)
            self._local.connection = connection
        return connection

    def _call(self, what: str, action: Callable[[swift.Connection], T]) -> T:
        try:
            return action(self._connection())
        except (ClientException, requests.RequestException, OSError) as error:
            self._local.connection = None  # a broken connection is not reused
            raise _translate(error, what) from error

    def ensure_container(self, container: str) -> None:
        """Create the container with no read or write ACL; idempotent."""
        if container in self._ensured:
            return
        headers = {"X-Remove-Container-Read": "x", "X-Remove-Container-Write": "x"}
        self._call("container", lambda c: c.put_container(container, headers=headers))
        self._ensured.add(container)

    def container_exists(self, container: str) -> bool:
        """Whether the container exists."""
        try:
            self._call("container", lambda c: c.head_container(container))
        except ObjectNotFound:
            return False
        return True

    def container_acl(self, container: str) -> tuple[str, str]:
        """The container's read and write ACLs (both empty for a private container)."""
        headers = self._call("container", lambda c: c.head_container(container))
        return headers.get("x-container-read", ""), headers.get("x-container-write", "")

    def put(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Store an object; a checksum mismatch is a StorageError."""
        headers = {f"X-Object-Meta-{k}": v for k, v in check_metadata(metadata).items()}
        etag = self._call(
            "object",
            lambda c: c.put_object(
                container,
                name,
                contents=data,
                headers=headers,
                content_type="application/octet-stream",
            ),
        )
        if etag != hashlib.md5(data, usedforsecurity=False).hexdigest():
            raise StorageError("Swift stored different bytes than were sent")

    def get(self, container: str, name: str) -> Blob:
        """An object and its metadata."""
        headers, body = self._call("object", lambda c: c.get_object(container, name))
        return Blob(body, _metadata(headers))

    def head(self, container: str, name: str) -> dict[str, str]:
        """An object's metadata."""
        return _metadata(self._call("object", lambda c: c.head_object(container, name)))

    def delete(self, container: str, name: str) -> None:
        """Delete an object; missing is fine."""
        with contextlib.suppress(ObjectNotFound):
            self._call("object", lambda c: c.delete_object(container, name))

    def list(self, container: str, prefix: str = "") -> list[str]:
        """Object names under a prefix, sorted."""
        try:
            _, listing = self._call(
                "container",
                lambda c: c.get_container(container, prefix=prefix or None, full_listing=True),
            )
        except ObjectNotFound:
            return []
        return sorted(item["name"] for item in listing)

    def delete_container(self, container: str) -> int:
        """Delete every object, then the container."""
        names = self.list(container)
        for name in names:
            self.delete(container, name)
        self._ensured.discard(container)
        with contextlib.suppress(ObjectNotFound):
            self._call("container", lambda c: c.delete_container(container))
        return len(names)

    def check(self) -> None:
        """The account answers."""
        self._call("account", lambda c: c.head_account())


def _metadata(headers: Mapping[str, str]) -> dict[str, str]:
    return {k[len(_META) :]: v for k, v in headers.items() if k.lower().startswith(_META)}
