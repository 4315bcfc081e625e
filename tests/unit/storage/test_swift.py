"""The Swift adapter against a fake swiftclient connection: errors translated, bytes checked."""

from __future__ import annotations

import hashlib
import threading
from typing import Any, ClassVar

import pytest
import requests
from keystoneauth1 import exceptions as keystone_errors
from swiftclient.exceptions import ClientException

from phr_share.errors import (
    ObjectNotFound,
    StorageError,
    StoreConflict,
    StoreUnavailable,
)
from phr_share.storage import swift as swift_backend
from phr_share.storage.swift import SwiftStore

PHI = "blood-pressure-180"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ClientException("gone", http_status=404), ObjectNotFound),
        (ClientException("busy", http_status=409), StoreConflict),
        (ClientException("down", http_status=503), StoreUnavailable),
        (ClientException("slow", http_status=408), StoreUnavailable),
        (ClientException("no", http_status=401), StorageError),
        (ClientException("no", http_status=403), StorageError),
        (ClientException("odd", http_status=400), StorageError),
        (ClientException("bad", http_status=422), StorageError),
        (ClientException("Unauthorized. Check username"), StorageError),
        (ClientException("Auth GET failed"), StoreUnavailable),
        (requests.ConnectionError("refused"), StoreUnavailable),
        (requests.Timeout("slow"), StoreUnavailable),
        (ConnectionRefusedError(111, "refused"), StoreUnavailable),
        (keystone_errors.ConnectFailure("refused"), StoreUnavailable),
        (keystone_errors.ServiceUnavailable(), StoreUnavailable),
        (keystone_errors.Unauthorized(), StorageError),
        (keystone_errors.EndpointNotFound(), StorageError),
        (keystone_errors.BadRequest(), StorageError),
    ],
)
def test_swift_errors_are_translated(error: Exception, expected: type[Exception]) -> None:
    translated = swift_backend._translate(error, "object c/o")
    assert type(translated) is expected


class FakeConnection:
    """Stands in for swiftclient's Connection: canned answers, or a canned error."""

    made: ClassVar[list[FakeConnection]] = []
    error: Exception | None = None
    etag: str | None = None

    def __init__(self, **arguments: Any) -> None:
        self.arguments = arguments
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        FakeConnection.made.append(self)

    def _answer(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((method, args, kwargs))
        if FakeConnection.error is not None:
            raise FakeConnection.error
        return None

    def put_object(self, container: str, name: str, **kwargs: Any) -> str:
        self._answer("put_object", container, name, **kwargs)
        return (
            FakeConnection.etag
            or hashlib.md5(kwargs["contents"], usedforsecurity=False).hexdigest()
        )

    def get_object(self, container: str, name: str) -> tuple[dict[str, str], bytes]:
        self._answer("get_object", container, name)
        headers = {"X-Object-Meta-Kind": "x", "x-object-meta-key-id": "k1", "etag": "e"}
        return headers, b"data"

    def put_container(self, container: str, **kwargs: Any) -> None:
        self._answer("put_container", container, **kwargs)

    def delete_object(self, container: str, name: str) -> None:
        self._answer("delete_object", container, name)

    def get_container(self, container: str, **kwargs: Any) -> tuple[dict[str, str], list[Any]]:
        self._answer("get_container", container, **kwargs)
        return {}, [{"name": "b"}, {"name": "a"}]

    def head_account(self) -> dict[str, str]:
        self._answer("head_account")
        return {}


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> SwiftStore:
    FakeConnection.made, FakeConnection.error, FakeConnection.etag = [], None, None
    monkeypatch.setattr(swift_backend.swift, "Connection", FakeConnection)
    return SwiftStore("http://127.0.0.1:1/auth/v1.0", "phr:phr", "key")


def test_put_sends_metadata_and_the_md5_and_checks_the_etag(store: SwiftStore) -> None:
    store.put("c", "o", b"bytes", {"kind": "x"})
    method, _, kwargs = FakeConnection.made[0].calls[0]
    assert method == "put_object"
    assert kwargs["headers"] == {"X-Object-Meta-kind": "x"}
    assert kwargs["etag"] == hashlib.md5(b"bytes", usedforsecurity=False).hexdigest()


def test_put_once_asks_swift_to_refuse_an_existing_name(store: SwiftStore) -> None:
    assert store.put_once("c", "o", b"bytes", {"kind": "x"}) is True
    _, _, kwargs = FakeConnection.made[0].calls[0]
    assert kwargs["headers"] == {"X-Object-Meta-kind": "x", "If-None-Match": "*"}
    FakeConnection.error = ClientException("exists", http_status=412)
    assert store.put_once("c", "o", b"other", {}) is False
    with pytest.raises(StorageError):
        store.put("c", "o", b"other", {})  # a plain put knows no such answer


def test_a_wrong_etag_is_a_storage_error_without_data(store: SwiftStore) -> None:
    FakeConnection.etag = "0" * 32
    with pytest.raises(StorageError, match="other bytes") as caught:
        store.put("c", "o", PHI.encode(), {"kind": PHI})
    assert PHI not in caught.value.message


def test_metadata_comes_back_with_lower_case_keys(store: SwiftStore) -> None:
    blob = store.get("c", "o")
    assert blob.data == b"data"
    assert blob.metadata == {"kind": "x", "key-id": "k1"}


def test_a_new_container_has_its_acls_removed(store: SwiftStore) -> None:
    store.ensure_container("c")
    _, args, kwargs = FakeConnection.made[0].calls[0]
    assert args == ("c",)
    assert set(kwargs["headers"]) == {"X-Remove-Container-Read", "X-Remove-Container-Write"}


def test_listing_is_sorted_and_a_missing_container_lists_empty(store: SwiftStore) -> None:
    assert store.list("c") == ["a", "b"]
    FakeConnection.error = ClientException("gone", http_status=404)
    assert store.list("c") == []
    store.delete("c", "o")  # a missing object is fine


def test_a_lost_connection_is_unavailable_and_not_reused(store: SwiftStore) -> None:
    FakeConnection.error = requests.ConnectionError("refused")
    with pytest.raises(StoreUnavailable) as caught:
        store.put("c", "o", b"x", {"kind": PHI})
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert PHI not in caught.value.message
    FakeConnection.error = None
    store.check()
    assert len(FakeConnection.made) == 2


def test_a_refused_request_keeps_the_connection(store: SwiftStore) -> None:
    FakeConnection.error = ClientException("conflict", http_status=409)
    with pytest.raises(StoreConflict):
        store.delete_container("c")
    FakeConnection.error = None
    store.check()
    assert len(FakeConnection.made) == 1


def test_keystone_v3_goes_through_a_keystoneauth_session(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeConnection.made, FakeConnection.error = [], None
    monkeypatch.setattr(swift_backend.swift, "Connection", FakeConnection)
    store = SwiftStore(
        "http://127.0.0.1:1/v3", "phr", "pw", auth_version="3", project="phr-share", retries=0
    )
    store.check()
    arguments = FakeConnection.made[0].arguments
    assert "session" in arguments
    assert "key" not in arguments
    assert arguments["retries"] == 0


def test_each_thread_gets_its_own_connection(store: SwiftStore) -> None:
    store.check()
    worker = threading.Thread(target=store.check)
    worker.start()
    worker.join()
    store.check()
    assert len(FakeConnection.made) == 2
