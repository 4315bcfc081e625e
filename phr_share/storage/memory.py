"""An in-memory store for tests, which can be told to fail like a store that went away."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from phr_share.errors import ObjectNotFound, StoreUnavailable
from phr_share.storage.base import Blob, check_metadata

__all__ = ["MemoryStore"]


class MemoryStore:
    """Thread-safe containers of objects in a dict."""

    name = "memory"

    def __init__(self) -> None:
        self._containers: dict[str, dict[str, Blob]] = {}
        self._lock = threading.Lock()
        self._puts_left: int | None = None
        self._fail_deletes = False
        self.puts = 0

    def fail_after(self, puts: int | None, *, deletes: bool = False) -> None:
        """After ``puts`` more writes every write (and delete, if asked) is unavailable.

        ``fail_after(2)``: the next two puts succeed, the third raises StoreUnavailable, as
        does every later one until ``fail_after(None)`` heals the store.
        """
        with self._lock:
            self._puts_left, self._fail_deletes = puts, deletes and puts is not None

    def _down(self) -> bool:
        return self._puts_left is not None and self._puts_left <= 0

    def ensure_container(self, container: str) -> None:
        """Create the container if missing."""
        with self._lock:
            if self._down():
                raise StoreUnavailable("the object store is unavailable")
            self._containers.setdefault(container, {})

    def container_exists(self, container: str) -> bool:
        """Whether the container exists."""
        with self._lock:
            return container in self._containers

    def put(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Store an object (a failure when told to fail)."""
        self._put(container, name, data, metadata, once=False)

    def put_once(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> bool:
        """Store an object unless one of that name exists (False, and it stays as it was)."""
        return self._put(container, name, data, metadata, once=True)

    def _put(
        self, container: str, name: str, data: bytes, metadata: Mapping[str, str], *, once: bool
    ) -> bool:
        checked = check_metadata(metadata)
        with self._lock:
            if self._puts_left is not None:
                if self._puts_left <= 0:
                    raise StoreUnavailable("the object store is unavailable")
                self._puts_left -= 1
            if container not in self._containers:
                raise ObjectNotFound("the container does not exist")
            if once and name in self._containers[container]:
                return False
            self._containers[container][name] = Blob(bytes(data), checked)
            self.puts += 1
            return True

    def get(self, container: str, name: str) -> Blob:
        """An object; ObjectNotFound when missing."""
        with self._lock:
            blob = self._containers.get(container, {}).get(name)
        if blob is None:
            raise ObjectNotFound("no such object")
        return Blob(blob.data, dict(blob.metadata))

    def head(self, container: str, name: str) -> dict[str, str]:
        """An object's metadata."""
        return self.get(container, name).metadata

    def delete(self, container: str, name: str) -> None:
        """Delete an object; missing is fine."""
        with self._lock:
            if self._fail_deletes and self._down():
                raise StoreUnavailable("the object store is unavailable")
            self._containers.get(container, {}).pop(name, None)

    def list(self, container: str, prefix: str = "") -> list[str]:
        """Names under a prefix, sorted."""
        with self._lock:
            return sorted(n for n in self._containers.get(container, {}) if n.startswith(prefix))

    def delete_container(self, container: str) -> int:
        """Drop the container and everything in it."""
        with self._lock:
            return len(self._containers.pop(container, {}))

    def check(self) -> None:
        """Unavailable while told to fail."""
        if self._down():
            raise StoreUnavailable("the object store is unavailable")
