"""Master key stores: local key files and KMS (moto's, over real HTTP on loopback)."""

from __future__ import annotations

import socket
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from phr_share.crypto import (
    KeyStore,
    KmsKeyStore,
    LocalKeyStore,
    WrappedKey,
    make_kms_client,
    new_key,
    unwrap_patient_key,
    wrap_patient_key,
)
from phr_share.errors import ConfigurationError, IntegrityError, StoreUnavailable

PATIENT, OTHER = uuid.uuid4(), uuid.uuid4()


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def kms_url() -> Iterator[str]:
    port = _port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["file", "kms"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> KeyStore:
    if request.param == "file":
        return LocalKeyStore(tmp_path / "keys")
    url = request.getfixturevalue("kms_url")
    client = make_kms_client(url, "us-east-1", "testing", "testing")
    return KmsKeyStore(client, f"alias/test-{uuid.uuid4().hex[:8]}")


def test_patient_keys_unwrap_only_for_their_patient_and_id(store: KeyStore) -> None:
    key = new_key()
    wrapped = wrap_patient_key(store, PATIENT, "pk1", key)
    assert unwrap_patient_key(store, PATIENT, "pk1", wrapped) == key
    for patient, key_id in ((OTHER, "pk1"), (PATIENT, "pk2")):
        with pytest.raises(IntegrityError):
            unwrap_patient_key(store, patient, key_id, wrapped)
    tampered = WrappedKey(wrapped.master_version, wrapped.blob[:-1] + bytes([wrapped.blob[-1] ^ 1]))
    with pytest.raises(IntegrityError):
        unwrap_patient_key(store, PATIENT, "pk1", tampered)


def test_rotation_keeps_old_versions_until_retired(store: KeyStore) -> None:
    key = new_key()
    old = wrap_patient_key(store, PATIENT, "pk1", key)
    first = store.current_version()
    second = store.rotate()
    assert second != first
    assert store.current_version() == second
    assert store.versions()[-2:] == [first, second]
    assert unwrap_patient_key(store, PATIENT, "pk1", old) == key
    new = wrap_patient_key(store, PATIENT, "pk1", key)
    assert new.master_version == second
    with pytest.raises(ConfigurationError, match="current"):
        store.retire(second)
    store.retire(first)
    assert first not in store.versions()
    assert unwrap_patient_key(store, PATIENT, "pk1", new) == key
    if isinstance(store, KmsKeyStore):
        # moto still decrypts under a disabled key (AWS refuses); check the key's state.
        state = store.client.describe_key(KeyId=first.rsplit("/", 1)[-1])["KeyMetadata"]
        assert state["KeyState"] == "PendingDeletion"
        return
    with pytest.raises(ConfigurationError, match="retired"):
        unwrap_patient_key(store, PATIENT, "pk1", old)


def test_key_files_are_private_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    version = store.current_version()
    path = tmp_path / "keys" / "master-1.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert LocalKeyStore(tmp_path / "keys").current_version() == version
    path.chmod(0o644)
    with pytest.raises(ConfigurationError):
        store.wrap(new_key(), {"k": "v"})


def test_a_kms_that_cannot_be_reached_is_unavailable() -> None:
    client = make_kms_client(f"http://127.0.0.1:{_port()}", "us-east-1", "testing", "testing")
    with pytest.raises(StoreUnavailable):
        KmsKeyStore(client, "alias/nowhere").current_version()
