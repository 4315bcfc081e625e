"""Both stores against the real local Swift (tempauth and Keystone v3) and moto's S3."""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from swiftclient import client as swiftclient

from phr_share import stack as local_stack
from phr_share.errors import ObjectNotFound, StorageError, StoreUnavailable
from phr_share.settings import Settings
from phr_share.stack import StackInfo
from phr_share.storage import Blob, BlobStore, S3Store, SwiftStore, open_private_store

META = {"kind": "physical-signs", "key-id": "k1", "content-sha256": "ab" * 32}


@pytest.fixture(params=["swift", "s3"])
def store_and_container(request: pytest.FixtureRequest) -> Iterator[tuple[BlobStore, str]]:
    if request.param == "s3":
        public_store: S3Store = request.getfixturevalue("public_store")
        yield public_store, public_store.bucket
        return
    private_store: SwiftStore = request.getfixturevalue("private_store")
    container = str(uuid.uuid4())
    private_store.ensure_container(container)
    yield private_store, container
    private_store.delete_container(container)


def test_round_trip_with_metadata(store_and_container: tuple[BlobStore, str]) -> None:
    store, container = store_and_container
    data = bytes(range(256)) * 40
    store.put(container, "health-status/t1/v1", data, META)
    blob = store.get(container, "health-status/t1/v1")
    assert blob.data == data
    assert blob.metadata == META
    assert store.head(container, "health-status/t1/v1") == META
    store.put(container, "health-status/t1/v1", b"replaced", {})
    assert store.get(container, "health-status/t1/v1") == Blob(b"replaced", {})


def test_put_once_never_replaces_an_object(store_and_container: tuple[BlobStore, str]) -> None:
    store, container = store_and_container
    name = f"audit-heads/{uuid.uuid4()}.json"
    assert store.put_once(container, name, b"first", META) is True
    assert store.put_once(container, name, b"second", {}) is False
    assert store.get(container, name) == Blob(b"first", META)


def test_a_missing_object_is_not_found(store_and_container: tuple[BlobStore, str]) -> None:
    store, container = store_and_container
    with pytest.raises(ObjectNotFound) as caught:
        store.get(container, "nothing/here")
    assert "nothing/here" in caught.value.message
    with pytest.raises(ObjectNotFound):
        store.head(container, "nothing/here")


def test_delete_is_idempotent(store_and_container: tuple[BlobStore, str]) -> None:
    store, container = store_and_container
    store.put(container, "a", b"x", {})
    store.delete(container, "a")
    store.delete(container, "a")
    assert store.list(container) == []


def test_list_by_prefix_is_sorted(store_and_container: tuple[BlobStore, str]) -> None:
    store, container = store_and_container
    for name in ("b/2", "a/2", "a/1", "a/10", "c"):
        store.put(container, name, name.encode(), {})
    assert store.list(container, "a/") == ["a/1", "a/10", "a/2"]
    assert store.list(container) == ["a/1", "a/10", "a/2", "b/2", "c"]
    assert store.list(container, "zzz") == []


def test_delete_container_counts_and_is_idempotent(
    store_and_container: tuple[BlobStore, str],
) -> None:
    store, container = store_and_container
    for index in range(3):
        store.put(container, f"o{index}", b"x", {})
    assert store.container_exists(container)
    assert store.delete_container(container) == 3
    assert not store.container_exists(container)
    assert store.list(container) == []
    assert store.delete_container(container) == 0
    store.ensure_container(container)  # so the fixture's clean-up finds what it expects


def test_a_missing_swift_container_lists_empty(private_store: SwiftStore) -> None:
    assert private_store.list(str(uuid.uuid4())) == []
    assert not private_store.container_exists(str(uuid.uuid4()))


def test_parallel_writers_each_use_their_own_connection(private_store: SwiftStore) -> None:
    container = str(uuid.uuid4())
    private_store.ensure_container(container)
    names = [f"kind/{i:03d}" for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: private_store.put(container, n, n.encode(), META), names))
    assert private_store.list(container) == names
    assert private_store.delete_container(container) == 40


def _swift_connection(stack: StackInfo) -> swiftclient.Connection:
    env = stack.env
    return swiftclient.Connection(
        env["PHR_SWIFT_AUTH_URL"], env["PHR_SWIFT_USER"], env["PHR_SWIFT_KEY"], retries=0
    )


def test_a_patient_container_is_private(stack: StackInfo, private_store: SwiftStore) -> None:
    container = str(uuid.uuid4())
    connection = _swift_connection(stack)
    # Even a container someone made public becomes private again.
    connection.put_container(container, headers={"X-Container-Read": ".r:*,.rlistings"})
    private_store.ensure_container(container)
    private_store.put(container, "segment", b"secret", {})
    assert private_store.container_acl(container) == ("", "")
    storage_url, _ = connection.get_auth()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{storage_url}/{container}/segment", timeout=5)  # noqa: S310
    assert refused.value.code == 401
    private_store.delete_container(container)


def test_swift_is_unavailable_while_the_proxy_is_stopped(
    stack: StackInfo,
    stack_settings: Settings,
    private_store: SwiftStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    container = str(uuid.uuid4())
    private_store.ensure_container(container)
    # How long a refusal takes is bounded by counting, not by a clock: each try meets a
    # refused connection (no timeout to wait out), and each call sleeps one short
    # backoff before its single retry. (Speed is measured by the benches.)
    waits: list[float] = []
    sleep = swiftclient.sleep
    monkeypatch.setattr(swiftclient, "sleep", lambda s: (waits.append(s), sleep(s)))
    proxy = urllib.parse.urlsplit(stack_settings.swift_auth_url)
    local_stack.stop_service(stack.state_dir, "swift-proxy")
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((proxy.hostname, proxy.port), timeout=10).close()
        with pytest.raises(StoreUnavailable):
            private_store.put(container, "o", b"x", {})
        with pytest.raises(StoreUnavailable):
            open_private_store(stack_settings).check()  # a new store, not yet authenticated
        assert waits == [0.2, 0.2]
    finally:
        local_stack.start_service(stack.state_dir, "swift-proxy")
    private_store.put(container, "o", b"x", {})  # the same store recovers by itself
    assert private_store.delete_container(container) == 1


def test_s3_forgets_after_a_restart_and_the_bucket_comes_back(
    stack: StackInfo, public_store: S3Store
) -> None:
    public_store.put(public_store.bucket, "release/manifest.json", b"{}", {})
    local_stack.stop_service(stack.state_dir, "s3")
    try:
        with pytest.raises(StoreUnavailable):
            public_store.check()
        with pytest.raises(StoreUnavailable):
            public_store.put(public_store.bucket, "x", b"x", {})
    finally:
        local_stack.start_service(stack.state_dir, "s3")
    assert not public_store.container_exists(public_store.bucket)
    assert public_store.list(public_store.bucket) == []
    public_store.ensure_container(public_store.bucket)
    public_store.ensure_container(public_store.bucket)
    public_store.put(public_store.bucket, "x", b"x", {"kind": "lifestyle"})
    assert public_store.head(public_store.bucket, "x") == {"kind": "lifestyle"}


def test_an_s3_store_serves_its_own_bucket_only(public_store: S3Store) -> None:
    with pytest.raises(StorageError, match="bucket"):
        public_store.put("another-bucket", "x", b"x", {})


def _keystone_store(stack: StackInfo, key: str | None = None) -> SwiftStore:
    env = stack.env
    return SwiftStore(
        env["PHR_SWIFT_AUTH_URL"],
        env["PHR_SWIFT_USER"],
        key or env["PHR_SWIFT_KEY"],
        auth_version="3",
        project=env["PHR_SWIFT_PROJECT"],
    )


def test_swift_behind_keystone_round_trip(keystone_stack: StackInfo) -> None:
    store = _keystone_store(keystone_stack)
    container = str(uuid.uuid4())
    store.ensure_container(container)
    store.put(container, "doctor-notes/t9/v1", b"sealed", META)
    assert store.get(container, "doctor-notes/t9/v1").metadata == META
    assert store.container_acl(container) == ("", "")
    assert store.list(container) == ["doctor-notes/t9/v1"]
    assert store.delete_container(container) == 1


def test_keystone_refuses_a_wrong_password(keystone_stack: StackInfo) -> None:
    with pytest.raises(StorageError, match="credentials") as caught:
        _keystone_store(keystone_stack, key="wrong").check()
    assert not isinstance(caught.value, StoreUnavailable)
