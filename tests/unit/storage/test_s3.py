"""The S3 adapter against botocore's Stubber: errors translated, bytes checked."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from phr_share.errors import (
    ConfigurationError,
    ObjectNotFound,
    StorageError,
    StoreConflict,
    StoreUnavailable,
)
from phr_share.storage import s3 as s3_backend
from phr_share.storage.s3 import S3Store

PHI = "glucose-412"


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": PHI},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },  # type: ignore[typeddict-item]
        "Op",
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_client_error("NoSuchKey", 404), ObjectNotFound),
        (_client_error("NoSuchBucket", 404), ObjectNotFound),
        (_client_error("404", 404), ObjectNotFound),
        (_client_error("BucketNotEmpty", 409), StoreConflict),
        (_client_error("InternalError", 500), StoreUnavailable),
        (_client_error("SlowDown", 503), StoreUnavailable),
        (_client_error("AccessDenied", 403), StorageError),
        (_client_error("BadDigest", 400), StorageError),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), StoreUnavailable),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), StoreUnavailable),
        (NoCredentialsError(), ConfigurationError),
    ],
)
def test_s3_errors_are_translated(error: Exception, expected: type[Exception]) -> None:
    translated = s3_backend._translate(error, "object x")
    assert type(translated) is expected
    assert PHI not in translated.message


@pytest.fixture
def stubbed() -> Iterator[tuple[S3Store, Stubber]]:
    store = S3Store(
        "research",
        endpoint_url="http://127.0.0.1:1",
        access_key_id="a",
        secret_access_key="s",
    )
    with Stubber(store.client) as stubber:
        yield store, stubber
        stubber.assert_no_pending_responses()


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'


def test_put_sends_the_md5_and_checks_the_etag(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_response("put_object", {"ETag": _etag(b"data")})
    store.put("research", "k", b"data", {"kind": "x"})
    stubber.add_response("put_object", {"ETag": _etag(b"other")})
    with pytest.raises(StorageError, match="other bytes") as caught:
        store.put("research", "k", b"data", {"kind": PHI})
    assert PHI not in caught.value.message


def test_put_once_writes_only_a_new_name(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_client_error("head_object", "404", http_status_code=404)
    expected = {
        "Bucket": "research",
        "Key": "k",
        "Body": b"data",
        "ContentMD5": ANY,
        "Metadata": {},
        "IfNoneMatch": "*",
    }
    stubber.add_response("put_object", {"ETag": _etag(b"data")}, expected)
    assert store.put_once("research", "k", b"data", {}) is True
    stubber.add_response("head_object", {"Metadata": {}})
    assert store.put_once("research", "k", b"data", {}) is False  # there: not even sent
    stubber.add_client_error("head_object", "404", http_status_code=404)
    stubber.add_client_error("put_object", "PreconditionFailed", http_status_code=412)
    assert store.put_once("research", "k", b"data", {}) is False  # written meanwhile


def test_an_sse_kms_etag_is_not_an_md5(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_response("put_object", {"ETag": '"kms"', "ServerSideEncryption": "aws:kms"})
    store.put("research", "k", b"data", {})


def test_get_returns_bytes_and_metadata(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    body = StreamingBody(io.BytesIO(b"data"), 4)
    stubber.add_response("get_object", {"Body": body, "Metadata": {"kind": "x"}})
    blob = store.get("research", "k")
    assert (blob.data, blob.metadata) == (b"data", {"kind": "x"})


def test_missing_objects_and_buckets(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    with pytest.raises(ObjectNotFound):
        store.get("research", "k")
    stubber.add_client_error("head_object", "404", http_status_code=404)
    with pytest.raises(ObjectNotFound):
        store.head("research", "k")
    stubber.add_client_error("list_objects_v2", "NoSuchBucket", http_status_code=404)
    assert store.list("research") == []
    stubber.add_client_error("delete_object", "NoSuchBucket", http_status_code=404)
    store.delete("research", "k")


def test_ensure_container_creates_a_forgotten_bucket(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_client_error("head_bucket", "404", http_status_code=404)
    stubber.add_response("create_bucket", {}, {"Bucket": "research"})
    store.ensure_container("research")
    stubber.add_response("head_bucket", {})
    store.ensure_container("research")


def test_delete_container_deletes_in_batches(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    contents = [{"Key": f"k{i}"} for i in range(3)]
    stubber.add_response("list_objects_v2", {"Contents": contents, "IsTruncated": False})
    stubber.add_response("delete_objects", {})
    stubber.add_response("delete_bucket", {}, {"Bucket": "research"})
    assert store.delete_container("research") == 3


def test_only_its_own_bucket(stubbed: tuple[S3Store, Stubber]) -> None:
    store, _ = stubbed
    with pytest.raises(StorageError, match="research"):
        store.get("elsewhere", "k")
