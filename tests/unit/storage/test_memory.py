"""The in-memory store keeps the store protocol, is thread-safe, and fails on request."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from phr_share.errors import ObjectNotFound, StoreUnavailable
from phr_share.storage import Blob, BlobStore, MemoryStore
from phr_share.storage.base import check_metadata


def test_the_memory_store_keeps_the_protocol() -> None:
    store: BlobStore = MemoryStore()
    assert store.name == "memory"
    assert store.list("c") == []
    assert not store.container_exists("c")
    store.ensure_container("c")
    store.ensure_container("c")
    store.put("c", "a/1", b"one", {"kind": "x"})
    store.put("c", "b/2", b"two", {})
    assert store.get("c", "a/1") == Blob(b"one", {"kind": "x"})
    assert store.head("c", "a/1") == {"kind": "x"}
    assert store.list("c", "a/") == ["a/1"]
    store.delete("c", "a/1")
    store.delete("c", "a/1")
    with pytest.raises(ObjectNotFound):
        store.get("c", "a/1")
    with pytest.raises(ObjectNotFound):
        store.head("c", "a/1")
    assert store.delete_container("c") == 1
    assert store.delete_container("c") == 0
    assert not store.container_exists("c")


def test_put_once_never_replaces_an_object() -> None:
    store = MemoryStore()
    store.ensure_container("c")
    assert store.put_once("c", "a", b"first", {"kind": "x"}) is True
    assert store.put_once("c", "a", b"second", {}) is False
    assert store.get("c", "a") == Blob(b"first", {"kind": "x"})


def test_a_put_into_a_missing_container_is_not_found() -> None:
    with pytest.raises(ObjectNotFound):
        MemoryStore().put("nowhere", "a", b"", {})


def test_returned_metadata_is_a_copy() -> None:
    store = MemoryStore()
    store.ensure_container("c")
    store.put("c", "a", b"", {"kind": "x"})
    store.get("c", "a").metadata["kind"] = "changed"
    assert store.head("c", "a") == {"kind": "x"}


def test_fail_after_n_lets_n_puts_through_then_fails_until_healed() -> None:
    store = MemoryStore()
    store.ensure_container("c")
    store.fail_after(2)
    store.put("c", "a", b"", {})
    store.put("c", "b", b"", {})
    with pytest.raises(StoreUnavailable):
        store.put("c", "c", b"", {})
    with pytest.raises(StoreUnavailable):
        store.check()
    store.delete("c", "a")  # deletes still work unless asked
    assert store.list("c") == ["b"]
    store.fail_after(None)
    store.check()
    store.put("c", "c", b"", {})


def test_fail_after_can_take_deletes_down_too() -> None:
    store = MemoryStore()
    store.ensure_container("c")
    store.fail_after(0, deletes=True)
    with pytest.raises(StoreUnavailable):
        store.delete("c", "a")
    with pytest.raises(StoreUnavailable):
        store.ensure_container("d")


def test_parallel_puts_are_all_kept() -> None:
    store = MemoryStore()
    store.ensure_container("c")
    names = [f"o{i:04d}" for i in range(2000)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.put("c", n, n.encode(), {}), names))
    assert store.list("c") == names
    assert store.puts == 2000


@pytest.mark.parametrize(
    "metadata",
    [{"Kind": "x"}, {"kind": "é"}, {"bad key": "x"}, {"kind": "x" * 300}, {"": "x"}],
)
def test_metadata_both_stores_carry_is_checked(metadata: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="metadata"):
        check_metadata(metadata)
    with pytest.raises(ValueError, match="metadata"):
        MemoryStore().put("c", "a", b"", metadata)
