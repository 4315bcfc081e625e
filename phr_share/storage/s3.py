"""S3 as the public research store (boto3; AWS or any S3-compatible endpoint).

Path-style addressing, short timeouts and few retries, so a dead endpoint fails fast.
botocore errors are translated here into the package's own.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from phr_share.errors import (
    ConfigurationError,
    ObjectNotFound,
    PhrShareError,
    StorageError,
    StoreConflict,
    StoreUnavailable,
)
from phr_share.storage.base import Blob, check_metadata

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import PutObjectOutputTypeDef

__all__ = ["S3Store"]

T = TypeVar("T")
_MISSING = {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}
_CONFLICT = {"BucketNotEmpty", "OperationAborted", "BucketAlreadyExists"}
_BATCH = 1000  # keys per DeleteObjects request, S3's limit
_BUSY = {"SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError"}


def _translate(error: Exception, what: str) -> PhrShareError:
    """The package's error for a botocore error; ``what`` names the object (never data)."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _MISSING or status == 404:
            return ObjectNotFound(f"S3 has no {what}")
        if code in _CONFLICT or status == 409:
            return StoreConflict(f"S3 reports a conflict on {what} ({code or status})")
        if status >= 500 or code in _BUSY:
            return StoreUnavailable(f"S3 is unavailable (on {what})")
        return StorageError(f"S3 refused the request on {what} ({code or status})")
    if isinstance(error, NoCredentialsError):
        return ConfigurationError(
            "no S3 credentials: set PHR_S3_ACCESS_KEY_ID and _SECRET_ACCESS_KEY"
        )
    if isinstance(error, BotoConnectionError | HTTPClientError | IncompleteReadError):
        return StoreUnavailable("S3 cannot be reached")
    return StorageError(f"S3 request on {what} failed ({type(error).__name__})")


class S3Store:
    """One bucket; the ``container`` of every call must be that bucket."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        config = Config(
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=15,
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=32,
        )
        self.bucket, self.region = bucket, region
        # boto3 clients are thread-safe: one serves every thread.
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=config,
        )

    def _call(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except (ClientError, BotoCoreError) as error:
            raise _translate(error, what) from error

    def _bucket(self, container: str) -> str:
        if container != self.bucket:
            raise StorageError(f"this store serves bucket {self.bucket} only, not {container}")
        return container

    def ensure_container(self, container: str) -> None:
        """Create the bucket when it is missing (an S3 server may have forgotten it)."""
        bucket = self._bucket(container)
        if self.container_exists(bucket):
            return
        try:
            if self.region == "us-east-1":
                self._call(f"bucket {bucket}", lambda: self.client.create_bucket(Bucket=bucket))
            else:
                self._call(
                    f"bucket {bucket}",
                    lambda: self.client.create_bucket(
                        Bucket=bucket,
                        CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
                    ),
                )
        except StoreConflict:
            # Created meanwhile by another writer (BucketAlreadyOwnedByYou is a 409 too).
            if not self.container_exists(bucket):
                raise

    def container_exists(self, container: str) -> bool:
        """Whether the bucket exists."""
        bucket = self._bucket(container)
        try:
            self._call(f"bucket {bucket}", lambda: self.client.head_bucket(Bucket=bucket))
        except ObjectNotFound:
            return False
        return True

    def put(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Store an object; S3 checks the bytes' MD5, and its ETag is checked here too."""
        self._put(container, name, data, metadata, once=False)

    def put_once(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> bool:
        """Store an object unless one of that name exists (If-None-Match: *): False then.

        The name is looked up first as well, for S3 servers that ignore the condition.
        """
        try:
            self.head(container, name)
        except ObjectNotFound:
            return self._put(container, name, data, metadata, once=True)
        return False

    def _put(
        self, container: str, name: str, data: bytes, metadata: Mapping[str, str], *, once: bool
    ) -> bool:
        bucket = self._bucket(container)
        digest = hashlib.md5(data, usedforsecurity=False)
        condition: dict[str, str] = {"IfNoneMatch": "*"} if once else {}

        def upload() -> PutObjectOutputTypeDef | None:
            try:
                return self.client.put_object(
                    Bucket=bucket,
                    Key=name,
                    Body=data,
                    ContentMD5=base64.b64encode(digest.digest()).decode(),
                    Metadata=check_metadata(metadata),
                    **condition,  # type: ignore[arg-type]
                )
            except ClientError as error:
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if once and status in (409, 412):
                    return None  # written meanwhile by another writer: left alone
                raise

        answer = self._call(f"object {name}", upload)
        if answer is None:
            return False
        # With SSE-KMS (AWS) the ETag is not the MD5; ContentMD5 was checked all the same.
        if answer.get("ServerSideEncryption") == "aws:kms":
            return True
        if answer.get("ETag", "").strip('"') != digest.hexdigest():
            raise StorageError(f"S3 stored other bytes than were sent for {name}")
        return True

    def get(self, container: str, name: str) -> Blob:
        """An object and its metadata; ObjectNotFound when missing."""
        bucket = self._bucket(container)

        def fetch() -> tuple[bytes, dict[str, str]]:
            answer = self.client.get_object(Bucket=bucket, Key=name)
            return answer["Body"].read(), dict(answer.get("Metadata", {}))

        data, metadata = self._call(f"object {name}", fetch)
        return Blob(data, metadata)

    def head(self, container: str, name: str) -> dict[str, str]:
        """An object's metadata; ObjectNotFound when missing."""
        bucket = self._bucket(container)
        answer = self._call(
            f"object {name}", lambda: self.client.head_object(Bucket=bucket, Key=name)
        )
        return dict(answer.get("Metadata", {}))

    def delete(self, container: str, name: str) -> None:
        """Delete an object; a missing one is fine."""
        bucket = self._bucket(container)
        with contextlib.suppress(ObjectNotFound):
            self._call(f"object {name}", lambda: self.client.delete_object(Bucket=bucket, Key=name))

    def list(self, container: str, prefix: str = "") -> list[str]:
        """Keys under a prefix, sorted; empty when the bucket is missing."""
        bucket = self._bucket(container)

        def keys() -> list[str]:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix
            )
            return [item["Key"] for page in pages for item in page.get("Contents", [])]

        try:
            return sorted(self._call(f"bucket {bucket}", keys))
        except ObjectNotFound:
            return []

    def delete_container(self, container: str) -> int:
        """Delete every object, then the bucket; how many objects went. Idempotent."""
        bucket = self._bucket(container)
        names = self.list(bucket)
        for start in range(0, len(names), _BATCH):
            self._delete_many(bucket, names[start : start + _BATCH])
        with contextlib.suppress(ObjectNotFound):
            self._call(f"bucket {bucket}", lambda: self.client.delete_bucket(Bucket=bucket))
        return len(names)

    def _delete_many(self, bucket: str, names: Sequence[str]) -> None:
        """One DeleteObjects request for up to 1000 keys; a key S3 refused is an error."""
        answer = self._call(
            f"bucket {bucket}",
            lambda: self.client.delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": n} for n in names], "Quiet": True},
            ),
        )
        if answer.get("Errors"):
            raise StorageError(f"S3 kept {len(answer['Errors'])} objects of bucket {bucket}")

    def check(self) -> None:
        """The endpoint answers (listing buckets); StoreUnavailable when it does not."""
        self._call("the endpoint", self.client.list_buckets)
