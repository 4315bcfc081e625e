"""Known-answer vectors for the sealed-object format: how they were made and how to replay.

Each row of ``tests/data/crypto/vectors.json`` holds every input of :func:`seal` in hex:
the patient key, the binding, the plaintext and ``random``, the exact bytes ``randbytes``
returns (data key 32, wrap nonce 12, payload nonce 12, in that order), then the expected
``sealed`` blob. Regenerate only for a deliberate new format version::

    .venv/bin/python -m tests.unit.crypto.vectors
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path

from phr_share.crypto import Binding, seal

VECTORS = Path(__file__).resolve().parents[2] / "data" / "crypto" / "vectors.json"
PATIENT_KEY = bytes(range(32))
RANDOM_BYTES = 32 + 12 + 12
_BINDING = {
    "patient_id": "2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10",
    "tracking_id": "47d17164-11b4-5f56-8ff6-2b669cc8f0fa",
    "key_id": "pk1",
}


class Replay:
    """A stand-in for os.urandom that hands out recorded bytes, and says if any are left."""

    def __init__(self, stream: bytes) -> None:
        self.stream = stream

    def __call__(self, size: int) -> bytes:
        if size > len(self.stream):
            raise AssertionError("the recorded random stream ran out")
        taken, self.stream = self.stream[:size], self.stream[size:]
        return taken


def counter_random(seed: bytes) -> Callable[[int], bytes]:
    """Repeatable bytes: SHA-256 in counter mode over a seed (used to make the vectors)."""
    state = {"n": 0}

    def randbytes(size: int) -> bytes:
        out = b""
        while len(out) < size:
            state["n"] += 1
            out += hashlib.sha256(seed + state["n"].to_bytes(8, "big")).digest()
        return out[:size]

    return randbytes


def binding_for(row: dict[str, str]) -> Binding:
    """The binding a vector row names."""
    return Binding(
        uuid.UUID(row["patient_id"]), uuid.UUID(row["tracking_id"]), row["kind"], row["key_id"]
    )


def sealed(row: dict[str, str]) -> bytes:
    """Seal a vector row's inputs, replaying its recorded random stream."""
    return seal(
        bytes.fromhex(row["plaintext"]),
        bytes.fromhex(row["patient_key"]),
        binding_for(row),
        randbytes=Replay(bytes.fromhex(row["random"])),
    )


def _cases() -> list[dict[str, str]]:
    return [
        {"name": "empty", "plaintext": "", "kind": "personal"},
        {
            "name": "small",
            "plaintext": b"<section>BP 128/82</section>".hex(),
            "kind": "physical-signs",
        },
        {"name": "4k", "plaintext": (b"<text>" + b"x" * 4096 + b"</text>").hex(), "kind": "other"},
    ]


def _rows() -> list[dict[str, str]]:
    rows = []
    for case in _cases():
        stream = counter_random(case["name"].encode())
        row = {**case, **_BINDING, "patient_key": PATIENT_KEY.hex()}
        row["random"] = b"".join(stream(n) for n in (32, 12, 12)).hex()
        row["sealed"] = sealed(row).hex()
        rows.append(row)
    return rows


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(_rows(), indent=2) + "\n")
