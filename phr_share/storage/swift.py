"""OpenStack Swift as the private store (python-swiftclient; tempauth v1 or Keystone v3).

swiftclient connections are not thread-safe, so each thread keeps its own. Keystone v3
goes through a keystoneauth1 session (one auth plugin shared by the threads, which
caches the token), so python-keystoneclient is not needed. Every swiftclient,
keystoneauth1 or connection error is translated here into the package's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from keystoneauth1 import exceptions as keystone_errors
from keystoneauth1 import session as keystone_session
from keystoneauth1.identity import v3
from swiftclient import client as swift
from swiftclient.exceptions import ClientException

from phr_share.errors import (
    ConfigurationError,
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
_DRIVER_ERRORS = (
    ClientException,
    keystone_errors.ClientException,
    requests.RequestException,
    OSError,
)


def _translate(error: Exception, what: str) -> PhrShareError:
    """The package's error for a driver error; ``what`` names the object (never data)."""
    if isinstance(error, keystone_errors.ClientException):
        return _translate_keystone(error)
    if not isinstance(error, ClientException):
        return StoreUnavailable("Swift cannot be reached")
    status = error.http_status
    if status == 404:
        return ObjectNotFound(f"Swift has no {what}")
    if status == 409:
        return StoreConflict(f"Swift reports a conflict on {what}")
    if status in (401, 403):
        return StorageError(f"Swift refused access to {what} (check PHR_SWIFT_USER and _KEY)")
    if status is None and "unauthorized" in str(error.msg).lower():
        return StorageError("Swift refused the credentials (check PHR_SWIFT_USER and _KEY)")
    if status is None or status >= 500 or status in (408, 429):
        return StoreUnavailable(f"Swift is unavailable (on {what})")
    return StorageError(f"Swift refused the request on {what} (HTTP {status})")


def _translate_keystone(error: keystone_errors.ClientException) -> PhrShareError:
    if isinstance(error, keystone_errors.Unauthorized | keystone_errors.Forbidden):
        return StorageError("Keystone refused the credentials (check PHR_SWIFT_*)")
    if isinstance(error, keystone_errors.EndpointNotFound):
        return StorageError("Keystone's catalog lists no object-store endpoint")
    if isinstance(
        error,
        keystone_errors.ConnectionError
        | keystone_errors.HttpServerError
        | keystone_errors.RequestTimeout,
    ):
        return StoreUnavailable("Keystone cannot be reached")
    return StorageError(f"Keystone refused the request ({type(error).__name__})")


class SwiftStore:
    """Patient containers in one Swift account; no container has a read or write ACL."""

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
        self._arguments: dict[str, Any] = {
            "retries": retries,
            "starting_backoff": 0.2,
            "max_backoff": 1,
            "timeout": timeout,
        }
        self._auth: v3.Password | None = None
        if auth_version == "3":
            if not project:
                raise ConfigurationError("PHR_SWIFT_PROJECT must be set for Keystone v3")
            self._auth = v3.Password(
                auth_url=auth_url,
                username=user,
                password=key,
                project_name=project,
                user_domain_name=user_domain,
                project_domain_name=project_domain,
            )
        elif auth_version == "1":
            self._arguments.update(authurl=auth_url, user=user, key=key, auth_version="1")
        else:
            raise ConfigurationError("PHR_SWIFT_AUTH_VERSION must be 1 (tempauth) or 3 (Keystone)")
        self._timeout = timeout
        self._local = threading.local()

    def _connection(self) -> swift.Connection:
        connection: swift.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            arguments = dict(self._arguments)
            if self._auth is not None:
                session = keystone_session.Session(auth=self._auth, timeout=self._timeout)
                arguments["session"] = session
            connection = swift.Connection(**arguments)
            self._local.connection = connection
        return connection

    def _call(self, what: str, action: Callable[[swift.Connection], T]) -> T:
        try:
            return action(self._connection())
        except _DRIVER_ERRORS as error:
            translated = _translate(error, what)
            if isinstance(translated, StoreUnavailable):
                self._local.connection = None  # a broken connection is not reused
            raise translated from error

    def ensure_container(self, container: str) -> None:
        """Create the container private (no read or write ACL); idempotent."""
        # PUT on an existing container only updates it, so removing the ACLs here also
        # makes an existing container private again.
        headers = {"X-Remove-Container-Read": "x", "X-Remove-Container-Write": "x"}
        self._call(f"container {container}", lambda c: c.put_container(container, headers=headers))

    def container_exists(self, container: str) -> bool:
        """Whether the container exists."""
        try:
            self._call(f"container {container}", lambda c: c.head_container(container))
        except ObjectNotFound:
            return False
        return True

    def container_acl(self, container: str) -> tuple[str, str]:
        """The container's read and write ACLs (both empty for a private container)."""
        headers = self._call(f"container {container}", lambda c: c.head_container(container))
        return headers.get("x-container-read", ""), headers.get("x-container-write", "")

    def put(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Store an object; an ETag that is not the MD5 of the bytes is a StorageError."""
        self._put(container, name, data, metadata, once=False)

    def put_once(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> bool:
        """Store an object unless one of that name exists (If-None-Match: *): False then."""
        return self._put(container, name, data, metadata, once=True)

    def _put(
        self, container: str, name: str, data: bytes, metadata: Mapping[str, str], *, once: bool
    ) -> bool:
        headers = {f"X-Object-Meta-{k}": v for k, v in check_metadata(metadata).items()}
        if once:
            headers["If-None-Match"] = "*"
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()

        def upload(connection: swift.Connection) -> str | None:
            try:
                etag: str = connection.put_object(
                    container,
                    name,
                    contents=data,
                    etag=digest,  # Swift refuses (422) bytes that arrive altered
                    headers=headers,
                    content_type="application/octet-stream",
                )
            except ClientException as error:
                if once and error.http_status == 412:
                    return None  # an object of that name exists: it is left alone
                raise
            return etag

        etag = self._call(f"object {container}/{name}", upload)
        if etag is None:
            return False
        if etag != digest:
            raise StorageError(f"Swift stored other bytes than were sent for {container}/{name}")
        return True

    def get(self, container: str, name: str) -> Blob:
        """An object and its metadata; ObjectNotFound when missing."""
        headers, body = self._call(
            f"object {container}/{name}", lambda c: c.get_object(container, name)
        )
        return Blob(body, _metadata(headers))

    def head(self, container: str, name: str) -> dict[str, str]:
        """An object's metadata; ObjectNotFound when missing."""
        what = f"object {container}/{name}"
        return _metadata(self._call(what, lambda c: c.head_object(container, name)))

    def delete(self, container: str, name: str) -> None:
        """Delete an object; a missing one is fine."""
        with contextlib.suppress(ObjectNotFound):
            self._call(f"object {container}/{name}", lambda c: c.delete_object(container, name))

    def list(self, container: str, prefix: str = "") -> list[str]:
        """Object names under a prefix, sorted; empty when the container is missing."""
        try:
            _, listing = self._call(
                f"container {container}",
                lambda c: c.get_container(container, prefix=prefix or None, full_listing=True),
            )
        except ObjectNotFound:
            return []
        return sorted(str(item["name"]) for item in listing)

    def delete_container(self, container: str) -> int:
        """Delete every object, then the container; how many objects went. Idempotent."""
        names = self.list(container)
        for name in names:
            self.delete(container, name)
        with contextlib.suppress(ObjectNotFound):
            self._call(f"container {container}", lambda c: c.delete_container(container))
        return len(names)

    def check(self) -> None:
        """Authenticate and HEAD the account; StoreUnavailable when Swift cannot be reached."""
        self._call("the account", lambda c: c.head_account())


def _metadata(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower()[len(_META) :]: v for k, v in headers.items() if k.lower().startswith(_META)}
