"""S3 as the public research store (boto3; AWS or any S3-compatible endpoint).

Path-style addressing, short timeouts and few retries, so a dead endpoint fails fast.
botocore errors are translated here into the package's own.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from phr_share.errors import (
    ObjectNotFound,
    PhrShareError,
    StorageError,
    StoreConflict,
    StoreUnavailable,
)
from phr_share.storage.base import Blob, check_metadata

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3Store"]

T = TypeVar("T")
_MISSING = {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}


def _translate(error: Exception, what: str) -> PhrShareError:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _MISSING or status == 404:
            return ObjectNotFound(f"S3 has no such {what}")
        if code in {"BucketNotEmpty", "OperationAborted"} or status == 409:
            return StoreConflict(f"S3 reports a conflict on the {what}")
        if status >= 500 or code in {"SlowDown", "ServiceUnavailable"}:
            return StoreUnavailable("S3 is unavailable")
        return StorageError(f"S3 refused the request on the {what} ({code or status})")
    return StoreUnavailable("S3 cannot be reached")


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
            raise StorageError("this store serves one bucket only")
        return container

    def ensure_container(self, container: str) -> None:
        """Create the bucket when it is missing (an S3 server may have forgotten it)."""
        bucket = self._bucket(container)
        if self.container_exists(bucket):
            return
        if self.region == "us-east-1":
            self._call("bucket", lambda: self.client.create_bucket(Bucket=bucket))
        else:
            self._call(
                "bucket",
                lambda: self.client.create_bucket(
                    Bucket=bucket,
                    CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
                ),
            )

    def container_exists(self, container: str) -> bool:
        """Whether the bucket exists."""
        try:
            self._call("bucket", lambda: self.client.head_bucket(Bucket=self._bucket(container)))
        except ObjectNotFound:
            return False
        return True

    def put(self, container: str, name: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Store an object; an ETag that is not the MD5 of the bytes is a StorageError."""
        answer = self._call(
            "object",
            lambda: self.client.put_object(
                Bucket=self._bucket(container),
                Key=name,
                Body=data,
                Metadata=check_metadata(metadata),
            ),
        )
        if answer["ETag"].strip('"') != hashlib.md5(data, usedforsecurity=False).hexdigest():
            raise StorageError("S3 stored different bytes than were sent")

    def get(self, container: str, name: str) -> Blob:
        """An object and its metadata."""
        bucket = self._bucket(container)
        answer = self._call("object", lambda: self.client.get_object(Bucket=bucket, Key=name))
        body = self._call("object", lambda: answer["Body"].read())
        return Blob(body, dict(answer.get("Metadata", {})))

    def head(self, container: str, name: str) -> dict[str, str]:
        """An object's metadata."""
        bucket = self._bucket(container)
        answer = self._call("object", lambda: self.client.head_object(Bucket=bucket, Key=name))
        return dict(answer.get("Metadata", {}))

    def delete(self, container: str, name: str) -> None:
        """Delete an object; missing is fine."""
        bucket = self._bucket(container)
        with contextlib.suppress(ObjectNotFound):
            self._call("object", lambda: self.client.delete_object(Bucket=bucket, Key=name))

    def list(self, container: str, prefix: str = "") -> list[str]:
        """Keys under a prefix, sorted; empty when the bucket is missing."""
        bucket = self._bucket(container)

        def keys() -> list[str]:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix
            )
            return [item["Key"] for page in pages for item in page.get("Contents", [])]

        try:
            return sorted(self._call("bucket", keys))
        except ObjectNotFound:
            return []

    def delete_container(self, container: str) -> int:
        """Delete every object, then the bucket."""
        names = self.list(container)
        for name in names:
            self.delete(container, name)
        with contextlib.suppress(ObjectNotFound):
            self._call("bucket", lambda: self.client.delete_bucket(Bucket=container))
        return len(names)

    def check(self) -> None:
        """The endpoint answers (listing buckets)."""
        self._call("endpoint", self.client.list_buckets)
