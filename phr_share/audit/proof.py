"""A patient's proof bundle, pure: their log entries, each with its inclusion proof, under
one signed tree head, checkable offline by anyone holding the log's public key.

Format ``phr-share-audit-proof/1`` (JSON)::

    {"format": "phr-share-audit-proof/1",
     "patient": "<the patient's global id>",
     "public_key": "<base64 of the raw 32-byte Ed25519 public key>",
     "tree_head": {<a signed tree head, as phr_share.audit.heads writes it>},
     "entries": [{"index": <leaf index: the entry's seq - 1>,
                  "entry": "<the entry's canonical JSON text: the leaf's exact bytes>",
                  "audit_path": ["<64 hex>", ...]}, ...]}

A check recomputes SHA-256(0x00 || entry) for each entry and follows its audit path
(RFC 9162 2.1.3.2) to the head's root, checks the head's signature with a key obtained
apart from the bundle, and that each entry is numbered by its index and names the patient.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from phr_share.audit.heads import SignedTreeHead, decode_base64, key_id
from phr_share.audit.merkle import leaf_hash, verify_inclusion
from phr_share.errors import ProofRejected

__all__ = [
    "PROOF_FORMAT",
    "ProofSummary",
    "ProvenEntry",
    "SignatureCheck",
    "check_bundle",
    "proof_bundle",
]

PROOF_FORMAT = "phr-share-audit-proof/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# (public key, message, signature) -> whether the signature is good; crypto supplies it.
SignatureCheck = Callable[[bytes, bytes, bytes], bool]


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """One entry's canonical bytes, its leaf index and its audit path."""

    index: int
    entry: bytes
    path: Sequence[bytes]


@dataclass(frozen=True, slots=True)
class ProofSummary:
    """What a bundle that checked out proves."""

    patient: str
    entries: int
    head: SignedTreeHead


def proof_bundle(
    patient: str, signed: SignedTreeHead, public_key: bytes, entries: Iterable[ProvenEntry]
) -> dict[str, Any]:
    """The bundle as a JSON-ready dict."""
    return {
        "format": PROOF_FORMAT,
        "patient": patient,
        "public_key": base64.b64encode(public_key).decode("ascii"),
        "tree_head": signed.to_json(),
        "entries": [
            {
                "index": e.index,
                "entry": e.entry.decode("ascii"),
                "audit_path": [node.hex() for node in e.path],
            }
            for e in entries
        ],
    }


def check_bundle(data: bytes, public_key: bytes, check: SignatureCheck) -> ProofSummary:
    """Check a bundle against a public key obtained apart from it; ProofRejected naming
    what failed."""
    document = _document(data)
    if not hmac.compare_digest(_field_key(document), public_key):
        raise ProofRejected("the proof was signed by another key than the one given")
    try:
        signed = SignedTreeHead.from_json(document.get("tree_head"))
    except ValueError as error:
        raise ProofRejected(str(error)) from None
    if signed.key_id != key_id(public_key):
        raise ProofRejected("the tree head names another signing key than the one given")
    if not check(public_key, signed.head.signed_bytes(), signed.signature):
        raise ProofRejected("the tree head's signature does not verify with the key given")
    patient, entries = document.get("patient"), document.get("entries")
    if not isinstance(patient, str) or not isinstance(entries, list):
        raise ProofRejected("the proof names no patient or lists no entries")
    for number, item in enumerate(entries, 1):
        _check_entry(number, item, patient, signed)
    return ProofSummary(patient, len(entries), signed)


def _document(data: bytes) -> Mapping[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ProofRejected("the file is not JSON") from None
    if not isinstance(document, dict) or document.get("format") != PROOF_FORMAT:
        raise ProofRejected(f"the file is not a {PROOF_FORMAT} document")
    return document


def _field_key(document: Mapping[str, Any]) -> bytes:
    try:
        return decode_base64(document.get("public_key"), "the proof's public key")
    except ValueError as error:
        raise ProofRejected(str(error)) from None


def _check_entry(number: int, item: object, patient: str, signed: SignedTreeHead) -> None:
    """One listed entry: well formed, numbered by its index, the patient's, and included."""
    if not isinstance(item, dict):
        raise ProofRejected(f"entry {number} is not an object")
    index, text, path = item.get("index"), item.get("entry"), item.get("audit_path")
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(text, str):
        raise ProofRejected(f"entry {number} has no index or no entry text")
    if not isinstance(path, list) or not all(
        isinstance(p, str) and _HEX64.fullmatch(p) for p in path
    ):
        raise ProofRejected(f"entry {number}'s audit path is not a list of 64-hex-digit hashes")
    if not 0 <= index < signed.head.size:
        raise ProofRejected(f"entry {number} lies beyond the signed tree head")
    leaf = text.encode("utf-8")
    nodes = [bytes.fromhex(p) for p in path]
    if not verify_inclusion(leaf_hash(leaf), index, signed.head.size, nodes, signed.head.root):
        raise ProofRejected(
            f"entry {number} (seq {index + 1}): its audit path does not lead to the signed root"
        )
    fields = json.loads(text)  # a leaf of the signed log: an entry's canonical JSON object
    if (
        not isinstance(fields, dict)
        or fields.get("seq") != index + 1
        or fields.get("patient") != patient
    ):
        raise ProofRejected(f"entry {number} (seq {index + 1}) is not about this patient")
