"""The store protocol on the in-memory store, and driver errors translated at the edge."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError, EndpointConnectionError
from swiftclient.exceptions import ClientException

from phr_share.errors import (
    ObjectNotFound,
    StorageError,
    StoreConflict,
    StoreUnavailable,
)
from phr_share.storage import MemoryStore
from phr_share.storage import s3 as s3_backend
from phr_share.storage import swift as swift_backend
from phr_share.storage.base import check_metadata


def test_the_memory_store_keeps_the_protocol() -> None:
    store = MemoryStore()
    assert store.list("c") == []
    store.ensure_container("c")
    store.put("c", "a/1", b"one", {"kind": "x"})
    store.put("c", "b/2", b"two", {})
    assert store.get("c", "a/1").data == b"one"
    assert store.head("c", "a/1") == {"kind": "x"}
    assert store.list("c", "a/") == ["a/1"]
    store.delete("c", "a/1")
    store.delete("c", "a/1")
    with pytest.raises(ObjectNotFound):
        store.get("c", "a/1")
    assert store.delete_container("c") == 1
    assert not store.container_exists("c")


def test_the_memory_store_fails_on_request() -> None:
    store = MemoryStore()
    store.ensure_container("c")
    store.fail_after(1, deletes=True)
    store.put("c", "a", b"", {})
    with pytest.raises(StoreUnavailable):
        store.put("c", "b", b"", {})
    with pytest.raises(StoreUnavailable):
        store.delete("c", "a")
    store.fail_after(None)
    store.delete("c", "a")


@pytest.mark.parametrize(
    "metadata",
    [{"Kind": "x"}, {"kind": "é"}, {"bad key": "x"}, {"kind": "x" * 300}],
)
def test_metadata_both_stores_carry_is_checked(metadata: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="metadata"):
        check_metadata(metadata)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ClientException("gone", http_status=404), ObjectNotFound),
        (ClientException("busy", http_status=409), StoreConflict),
        (ClientException("down", http_status=503), StoreUnavailable),
        (ClientException("no", http_status=401), StorageError),
        (ClientException("odd", http_status=400), StorageError),
        (requests.ConnectionError("refused"), StoreUnavailable),
    ],
)
def test_swift_errors_are_translated(error: Exception, expected: type[Exception]) -> None:
    translated = swift_backend._translate(error, "object")
    assert type(translated) is expected


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},  # type: ignore[typeddict-item]
        "Op",
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_client_error("NoSuchKey", 404), ObjectNotFound),
        (_client_error("NoSuchBucket", 404), ObjectNotFound),
        (_client_error("BucketNotEmpty", 409), StoreConflict),
        (_client_error("InternalError", 500), StoreUnavailable),
        (_client_error("AccessDenied", 403), StorageError),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), StoreUnavailable),
    ],
)
def test_s3_errors_are_translated(error: Exception, expected: type[Exception]) -> None:
    translated = s3_backend._translate(error, "object")
    assert type(translated) is expected
    assert "m" not in translated.message.split()
