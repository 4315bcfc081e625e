"""What the use cases count, through an interface of their own.

The use cases call :class:`Metrics`; the web app hands them an implementation over its
Prometheus registry, and anything else (the CLI, the tests) gets :data:`NO_METRICS`,
which counts nothing. So the metrics library stays in the web layer, and no label can
carry more than the words written here: a store's role, an operation's name, an
outcome. Never a patient, a document or an object name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from phr_share.errors import StorageError

__all__ = ["NO_METRICS", "Metrics", "NoMetrics", "StoreRole", "note_store_error"]


class StoreRole(StrEnum):
    """Which store an operation went to, by its role (Swift and S3 by default)."""

    PRIVATE = "private"
    PUBLIC = "public"


class Metrics(Protocol):
    """The counters the use cases move."""

    def ingested(self, documents: int) -> None:
        """``documents`` C-CDA documents were stored (a re-upload of one stored counts not)."""
        ...

    def release_ran(self, outcome: str) -> None:
        """A research release run ended: published, empty (nothing waited), refused (k
        not reached) or failed."""
        ...

    def release_items(self, outcome: str, count: int) -> None:
        """``count`` segments of a published release came to ``outcome`` (published,
        suppressed, no-data)."""
        ...

    def store_error(self, store: StoreRole, operation: str) -> None:
        """An operation on a store failed with a storage error."""
        ...


class NoMetrics:
    """Counts nothing: the default, outside the web app."""

    def ingested(self, documents: int) -> None:
        """Nothing."""

    def release_ran(self, outcome: str) -> None:
        """Nothing."""

    def release_items(self, outcome: str, count: int) -> None:
        """Nothing."""

    def store_error(self, store: StoreRole, operation: str) -> None:
        """Nothing."""


NO_METRICS: Metrics = NoMetrics()


def note_store_error(
    metrics: Metrics, store: StoreRole, operation: str, error: BaseException
) -> None:
    """Count ``error`` against the store when it is a storage error (an erased key or a
    failed integrity check is not the store's)."""
    if isinstance(error, StorageError):
        metrics.store_error(store, operation)
