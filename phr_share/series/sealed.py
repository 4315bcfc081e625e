"""A series bucket sealed with the patient's key: the same envelope as a segment, bound
to the patient, the bucket (kind and month), the bucket format and the revision.

No I/O: the caller brings the key and stores the blob. Opening a blob under any other
patient, kind, month, revision or key raises the envelope's one IntegrityError, so a
bucket copied to another row, or an older revision put back, does not open.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

from phr_share.crypto import Binding, open_sealed, seal
from phr_share.errors import IntegrityError
from phr_share.series.bucket import BUCKET_FORMAT, columns_of, encode, encode_columns
from phr_share.series.points import Point

__all__ = ["BucketAddress", "open_bucket", "seal_bucket", "seal_columns"]


@dataclass(frozen=True, slots=True)
class BucketAddress:
    """Which bucket, and which write of it: all of it authenticated, none of it secret."""

    patient_id: uuid.UUID
    kind: str
    month: str
    revision: int

    def binding(self, key_id: str) -> Binding:
        """The envelope binding of this bucket under the patient key ``key_id``."""
        bucket = uuid.uuid5(self.patient_id, f"series/{self.kind}/{self.month}")
        label = f"series/{self.kind}/{self.month}/f{BUCKET_FORMAT}/r{self.revision}"
        return Binding(self.patient_id, bucket, label, key_id)


def seal_bucket(
    points: Iterable[Point],
    address: BucketAddress,
    key_id: str,
    key: bytes,
    *,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """The sealed blob of one bucket's points; raises ValueError as ``bucket.encode``."""
    return seal(encode(points), key, address.binding(key_id), randbytes=randbytes)


def seal_columns(
    table: pa.Table,
    address: BucketAddress,
    key_id: str,
    key: bytes,
    *,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """The sealed blob of a bucket's columns (as ``bucket.merge_columns`` gives them)."""
    return seal(encode_columns(table), key, address.binding(key_id), randbytes=randbytes)


def open_bucket(blob: bytes, address: BucketAddress, key_id: str, key: bytes) -> pa.Table:
    """The columns of a sealed bucket; IntegrityError when it does not open under this
    address and key, or opens to something that is not a bucket."""
    data = open_sealed(blob, key, address.binding(key_id))
    try:
        return columns_of(data)
    except ValueError:
        raise IntegrityError() from None
