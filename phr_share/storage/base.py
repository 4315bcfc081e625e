"""The object-store interface both stores implement (Warehouse style: one protocol, chosen
by configuration, registered twice: the private store and the public one)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Blob", "BlobStore", "check_metadata"]

_META_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Blob:
    """An object's bytes and its metadata (lower-case keys, ASCII values)."""

    data: bytes = field(repr=False)
    metadata: dict[str, str]


class BlobStore(Protocol):
    """Containers of named objects with small metadata; driver errors never escape."""

    name: str

    def ensure_container(self, container: str) -> None:
        """Create the container if missing (private: no read ACL); idempotent."""
        ...

    def container_exists(self, container: str) -> bool:
        """Whether the container exists."""
        ...

    def put(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Store an object, replacing any of that name; the store's checksum is verified."""
        ...

    def put_once(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> bool:
        """Store an object unless one of that name exists, which is left as it is (False)."""
        ...

    def get(self, container: str, name: str) -> Blob:
        """An object and its metadata; raises ObjectNotFound."""
        ...

    def head(self, container: str, name: str) -> dict[str, str]:
        """An object's metadata; raises ObjectNotFound."""
        ...

    def delete(self, container: str, name: str) -> None:
        """Delete an object; a missing one is fine."""
        ...

    def list(self, container: str, prefix: str = "") -> list[str]:
        """Object names under ``prefix``, sorted; empty when the container is missing."""
        ...

    def delete_container(self, container: str) -> int:
        """Delete every object, then the container; returns how many objects went."""
        ...

    def check(self) -> None:
        """Health probe; raises StoreUnavailable."""
        ...


def check_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Metadata both stores can carry unchanged; ValueError otherwise (a programming error)."""
    for key, value in metadata.items():
        if not _META_KEY.match(key) or not value.isascii() or len(value) > 256:
            raise ValueError("metadata keys are lower-case [a-z0-9-], values short ASCII")
    return dict(metadata)
