"""Master key stores: local key files, and KMS (moto's, over real HTTP on loopback)."""

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
    load_or_create_signing_key,
    make_kms_client,
    new_key,
    open_keystore,
    rewrap_signing_key,
    unwrap_patient_key,
    wrap_patient_key,
)
from phr_share.errors import ConfigurationError, IntegrityError, StoreUnavailable
from phr_share.settings import Settings

PATIENT, OTHER = uuid.uuid4(), uuid.uuid4()
MESSAGE = "a stored object failed its integrity check"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def kms_url() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _kms(url: str, alias: str | None = None) -> KmsKeyStore:
    client = make_kms_client(url, "us-east-1", "testing", "testing")
    return KmsKeyStore(client, alias or f"alias/test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["file", "kms"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> KeyStore:
    if request.param == "file":
        return LocalKeyStore(tmp_path / "keys")
    return _kms(request.getfixturevalue("kms_url"))


# -- both stores -----------------------------------------------------------------------


def test_patient_keys_unwrap_only_for_their_patient_and_id(store: KeyStore) -> None:
    key = new_key()
    wrapped = wrap_patient_key(store, PATIENT, "pk1", key)
    assert wrapped.master_version == store.current_version()
    assert unwrap_patient_key(store, PATIENT, "pk1", wrapped) == key
    for patient, key_id in ((OTHER, "pk1"), (PATIENT, "pk2")):
        with pytest.raises(IntegrityError, match=MESSAGE):
            unwrap_patient_key(store, patient, key_id, wrapped)
    for blob in (wrapped.blob[:-1] + bytes([wrapped.blob[-1] ^ 1]), wrapped.blob[:20], b""):
        with pytest.raises(IntegrityError, match=MESSAGE):
            unwrap_patient_key(store, PATIENT, "pk1", WrappedKey(wrapped.master_version, blob))


def test_a_wrong_context_fails_at_the_store_level(store: KeyStore) -> None:
    key = new_key()
    wrapped = store.wrap(key, {"b": "2", "a": "1"})
    assert store.unwrap(wrapped, {"a": "1", "b": "2"}) == key  # order does not matter
    for context in ({"a": "1"}, {"a": "1", "b": "3"}, {"a": "1", "b": "2", "c": ""}):
        with pytest.raises(IntegrityError, match=MESSAGE):
            store.unwrap(wrapped, context)


def test_rotation_keeps_old_versions_until_retired(store: KeyStore) -> None:
    key = new_key()
    old = wrap_patient_key(store, PATIENT, "pk1", key)
    first = store.current_version()
    second = store.rotate()
    assert second != first
    assert store.current_version() == second
    assert store.versions() == [first, second]
    assert unwrap_patient_key(store, PATIENT, "pk1", old) == key
    new = wrap_patient_key(store, PATIENT, "pk1", key)
    assert new.master_version == second
    with pytest.raises(ConfigurationError, match="current"):
        store.retire(second)
    store.retire(first)
    assert store.versions() == [second]
    assert unwrap_patient_key(store, PATIENT, "pk1", new) == key
    with pytest.raises(ConfigurationError, match="retired"):
        store.retire(first)


def test_the_signing_key_is_wrapped_by_the_store_and_outlives_a_rotation(
    store: KeyStore, tmp_path: Path
) -> None:
    path = tmp_path / "state" / "audit-signing.key"
    assert rewrap_signing_key(store, path) is False  # none yet
    key = load_or_create_signing_key(store, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.seed not in path.read_bytes()
    first = store.current_version()
    assert rewrap_signing_key(store, path) is False  # already under the current version
    store.rotate()
    assert rewrap_signing_key(store, path) is True
    store.retire(first)  # what wrapped it first is gone; the key is not
    assert load_or_create_signing_key(store, path) == key


def test_keys_of_the_wrong_size_are_refused(store: KeyStore) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        wrap_patient_key(store, PATIENT, "pk1", b"short")


def test_a_wrapped_key_does_not_show_its_bytes() -> None:
    wrapped = WrappedKey("local-1", b"\x01secret-ish-bytes")
    assert "secret" not in repr(wrapped)
    assert "local-1" in repr(wrapped)


# -- local key files -------------------------------------------------------------------


def test_key_files_are_private_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    store = LocalKeyStore(directory)
    version = store.current_version()
    path = directory / "master-1.key"
    assert version == "local-1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    wrapped = store.wrap(new_key(), {"k": "v"})
    path.chmod(0o644)
    for action in (
        lambda: store.wrap(new_key(), {"k": "v"}),
        lambda: store.unwrap(wrapped, {"k": "v"}),
        store.check,
    ):
        with pytest.raises(ConfigurationError, match="owner only"):
            action()


def test_the_current_pointer_survives_a_new_instance(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    key = new_key()
    old = store.wrap(key, {"k": "v"})
    store.rotate()
    third = store.rotate()
    again = LocalKeyStore(tmp_path / "keys")
    assert again.current_version() == third == "local-3"
    assert again.versions() == ["local-1", "local-2", "local-3"]
    assert again.unwrap(old, {"k": "v"}) == key
    assert (tmp_path / "keys" / "current").read_text() == "local-3\n"
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == [
        "current",
        "master-1.key",
        "master-2.key",
        "master-3.key",
    ]


def test_a_retired_version_is_gone_and_never_recreated(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    key = new_key()
    old = store.wrap(key, {"k": "v"})
    store.rotate()
    store.retire("local-1")
    assert not (tmp_path / "keys" / "master-1.key").exists()
    with pytest.raises(ConfigurationError, match="local-1 is retired"):
        store.unwrap(old, {"k": "v"})
    assert not (tmp_path / "keys" / "master-1.key").exists()
    assert store.versions() == ["local-2"]


def test_retiring_an_unknown_version_is_refused(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    store.current_version()
    for version in ("local-9", "arn:aws:kms:x", "../etc/passwd"):
        with pytest.raises(ConfigurationError):
            store.retire(version)


def test_a_malformed_version_is_an_integrity_failure(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    wrapped = store.wrap(new_key(), {"k": "v"})
    for version in ("", "local-0", "local-x", "../master-1", "local-1/../1"):
        with pytest.raises(IntegrityError, match=MESSAGE):
            store.unwrap(WrappedKey(version, wrapped.blob), {"k": "v"})


def test_an_unreadable_pointer_is_a_configuration_error(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    store.current_version()
    (tmp_path / "keys" / "current").write_text("whatever\n")
    with pytest.raises(ConfigurationError, match="does not name"):
        store.current_version()


def test_a_key_file_without_a_pointer_is_adopted(tmp_path: Path) -> None:
    """A crash between creating a key file and pointing at it loses nothing."""
    store = LocalKeyStore(tmp_path / "keys")
    store.rotate()
    key = new_key()
    wrapped = store.wrap(key, {"k": "v"})
    (tmp_path / "keys" / "current").unlink()
    assert LocalKeyStore(tmp_path / "keys").current_version() == "local-2"
    assert store.unwrap(wrapped, {"k": "v"}) == key


def test_a_key_file_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys")
    store.current_version()
    (tmp_path / "keys" / "master-1.key").write_bytes(b"x" * 31)
    with pytest.raises(ConfigurationError, match="32 bytes"):
        store.check()


def test_the_local_wrap_uses_the_randomness_seam(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path / "keys", randbytes=lambda n: b"\x07" * n)
    wrapped = store.wrap(new_key(), {"k": "v"})
    assert wrapped.blob[:12] == b"\x07" * 12
    assert len(wrapped.blob) == 12 + 32 + 16


# -- KMS -------------------------------------------------------------------------------


def test_the_first_wrap_creates_the_key_and_alias(kms_url: str) -> None:
    store = _kms(kms_url)
    key = new_key()
    wrapped = store.wrap(key, {"k": "v"})
    assert wrapped.master_version == store.current_version()
    assert wrapped.master_version.startswith("arn:aws:kms:us-east-1:")
    assert store.unwrap(wrapped, {"k": "v"}) == key
    store.check()


def test_each_alias_sees_and_retires_only_its_own_keys(kms_url: str) -> None:
    mine, theirs = _kms(kms_url), _kms(kms_url)
    first = mine.current_version()
    mine.rotate()
    foreign = theirs.current_version()
    theirs.rotate()
    assert foreign not in mine.versions()
    assert len(mine.versions()) == len(theirs.versions()) == 2
    with pytest.raises(ConfigurationError, match="not a master key version"):
        mine.retire(foreign)
    assert foreign in theirs.versions()
    mine.retire(first.rsplit("/", 1)[-1])  # a bare key id works as well as the ARN
    assert first not in mine.versions()


def test_the_current_kms_key_cannot_be_retired_by_its_bare_id(kms_url: str) -> None:
    store = _kms(kms_url)
    current = store.current_version()
    with pytest.raises(ConfigurationError, match="current"):
        store.retire(current.rsplit("/", 1)[-1])
    assert store.versions() == [current]


def test_retiring_schedules_the_kms_key_for_deletion(kms_url: str) -> None:
    store = _kms(kms_url)
    first = store.current_version()
    store.rotate()
    store.retire(first)
    state = store.client.describe_key(KeyId=first)["KeyMetadata"]
    # moto still decrypts under such a key (AWS refuses); its state is what we check.
    assert state["KeyState"] == "PendingDeletion"


def test_a_wrapped_key_naming_an_unknown_kms_key(kms_url: str) -> None:
    store = _kms(kms_url)
    wrapped = store.wrap(new_key(), {"k": "v"})
    gone = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ConfigurationError, match="is retired or missing"):
        store.unwrap(WrappedKey(gone, wrapped.blob), {"k": "v"})
    for junk in ("", "local-1", "alias/x y", "arn:aws:kms:x:key/y\n"):
        with pytest.raises(IntegrityError, match=MESSAGE):
            store.unwrap(WrappedKey(junk, wrapped.blob), {"k": "v"})


@pytest.mark.parametrize("alias", ["phr", "alias/", "alias/aws/phr", "alias/with space"])
def test_a_bad_alias_is_a_configuration_error(kms_url: str, alias: str) -> None:
    client = make_kms_client(kms_url, "us-east-1", "testing", "testing")
    with pytest.raises(ConfigurationError, match="PHR_KMS_KEY_ALIAS"):
        KmsKeyStore(client, alias)


def test_a_kms_that_cannot_be_reached_is_unavailable() -> None:
    store = _kms(f"http://127.0.0.1:{_free_port()}", "alias/nowhere")
    wrapped = WrappedKey(
        "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000", b"x" * 64
    )
    for action in (
        store.current_version,
        store.check,
        store.rotate,
        lambda: store.wrap(new_key(), {"k": "v"}),
        lambda: store.unwrap(wrapped, {"k": "v"}),
    ):
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            action()


# -- choosing a store from the settings ------------------------------------------------


def test_open_keystore_follows_the_settings(tmp_path: Path, kms_url: str) -> None:
    local = open_keystore(Settings(state_dir=tmp_path))
    assert isinstance(local, LocalKeyStore)
    assert local.name == "file"
    assert local.directory == Settings(state_dir=tmp_path).master_key_dir
    remote = open_keystore(
        Settings(
            keystore="kms",
            kms_endpoint_url=kms_url,
            kms_key_alias=f"alias/settings-{uuid.uuid4().hex[:8]}",
            s3_access_key_id="testing",
            s3_secret_access_key="testing",
        )
    )
    assert isinstance(remote, KmsKeyStore)
    assert remote.name == "kms"
    key = new_key()
    assert (
        unwrap_patient_key(remote, PATIENT, "pk1", wrap_patient_key(remote, PATIENT, "pk1", key))
        == key
    )
