"""Signed tree heads, pure: what is signed, how a head is written down, where it is kept.

A tree head says "the audit log's first ``size`` entries have this Merkle root, as of this
time". The bytes signed (Ed25519) are fixed-width, so nothing about JSON can change them::

    b"phr-share/tree-head/1" | 0x00 | u64 size | u64 timestamp (ms since 1970, UTC) | root (32)

(integers unsigned big-endian). A head is kept as a JSON object of its own, named by its
size and root (the name :class:`phr_share.public_layout.AuditHeadName` spells), written
once and never replaced::

    audit-heads/000000000042-<root hex>.json
    {"format": "phr-share-tree-head/1", "size": 42, "root": "<64 hex>",
     "timestamp": 1795345200000, "key_id": "<64 hex>", "signature": "<base64, 64 bytes>"}

``key_id`` is the SHA-256 (hex) of the raw 32-byte Ed25519 public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

from phr_share.public_layout import AuditHeadName

__all__ = [
    "HEAD_FORMAT",
    "SignedTreeHead",
    "TreeHead",
    "decode_base64",
    "key_id",
]

HEAD_FORMAT = "phr-share-tree-head/1"
_SIGNED_TAG = b"phr-share/tree-head/1\x00"
_NUMBERS = struct.Struct(">QQ")
_HEX64 = re.compile(r"[0-9a-f]{64}")
SIGNATURE_BYTES = 64


def key_id(public_key: bytes) -> str:
    """The id a head names its signing key by: SHA-256 of the raw public key, hex."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The size and Merkle root of the log's first entries, at a time (ms since 1970)."""

    size: int
    root: bytes
    timestamp: int

    def signed_bytes(self) -> bytes:
        """The exact bytes the signature covers."""
        return _SIGNED_TAG + _NUMBERS.pack(self.size, self.timestamp) + self.root

    @property
    def at(self) -> datetime:
        """The time of the head."""
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    @staticmethod
    def timestamp_of(when: datetime) -> int:
        """Milliseconds since 1970 (UTC) of an aware datetime."""
        return int(when.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A tree head with the id of the key that signed it and the signature."""

    head: TreeHead
    key_id: str
    signature: bytes

    @property
    def object_name(self) -> str:
        """Where the head is kept: named by size and root, so a name is written once."""
        return AuditHeadName(self.head.size, self.head.root).name

    def to_json(self) -> dict[str, Any]:
        """The head as the JSON object it is stored and handed out as."""
        return {
            "format": HEAD_FORMAT,
            "size": self.head.size,
            "root": self.head.root.hex(),
            "timestamp": self.head.timestamp,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, document: object) -> SignedTreeHead:
        """Read a head written by :meth:`to_json`; ValueError naming what is malformed."""
        if not isinstance(document, Mapping) or document.get("format") != HEAD_FORMAT:
            raise ValueError(f"not a {HEAD_FORMAT} tree head")
        size, timestamp = document.get("size"), document.get("timestamp")
        if not _whole(size) or not _whole(timestamp):
            raise ValueError("the tree head's size and timestamp must be whole numbers")
        root, key = document.get("root"), document.get("key_id")
        if not isinstance(root, str) or not _HEX64.fullmatch(root):
            raise ValueError("the tree head's root must be 64 hex digits")
        if not isinstance(key, str) or not _HEX64.fullmatch(key):
            raise ValueError("the tree head's key id must be 64 hex digits")
        signature = decode_base64(document.get("signature"), "the tree head's signature")
        if len(signature) != SIGNATURE_BYTES:
            raise ValueError("the tree head's signature must be 64 bytes")
        return cls(TreeHead(size, bytes.fromhex(root), timestamp), key, signature)


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 63


def decode_base64(value: object, what: str) -> bytes:
    """Strict standard base64 (padding included); ValueError naming ``what``."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be base64 text")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{what} is not valid base64") from None
