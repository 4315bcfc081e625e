"""Deterministic inputs for the known-answer vectors (and the script that wrote them)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path

from phr_share.crypto import Binding, seal

VECTORS = Path(__file__).resolve().parents[2] / "data" / "crypto" / "vectors.json"


def counter_random(seed: bytes) -> Callable[[int], bytes]:
    """A repeatable stand-in for os.urandom: SHA-256 in counter mode over a seed."""
    state = {"n": 0}

    def randbytes(size: int) -> bytes:
        out = b""
        while len(out) < size:
            state["n"] += 1
            out += hashlib.sha256(seed + state["n"].to_bytes(8, "big")).digest()
        return out[:size]

    return randbytes


def cases() -> list[dict[str, str]]:
    """The vector inputs: an empty, a small and a few-KB plaintext."""
    return [
        {"name": "empty", "plaintext": "", "kind": "personal"},
        {
            "name": "small",
            "plaintext": b"<section>BP 128/82</section>".hex(),
            "kind": "physical-signs",
        },
        {"name": "4k", "plaintext": (b"<text>" + b"x" * 4096 + b"</text>").hex(), "kind": "other"},
    ]


PATIENT_KEY = bytes(range(32))
BINDING = {
    "patient_id": "2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10",
    "tracking_id": "47d17164-11b4-5f56-8ff6-2b669cc8f0fa",
    "key_id": "pk1",
}


def binding_for(case: dict[str, str]) -> Binding:
    return Binding(
        uuid.UUID(BINDING["patient_id"]),
        uuid.UUID(BINDING["tracking_id"]),
        case["kind"],
        BINDING["key_id"],
    )


def sealed(case: dict[str, str]) -> bytes:
    randbytes = counter_random(case["name"].encode())
    return seal(
        bytes.fromhex(case["plaintext"]), PATIENT_KEY, binding_for(case), randbytes=randbytes
    )


if __name__ == "__main__":  # regenerate only for a deliberate new format version
    rows = [
        {**case, **BINDING, "patient_key": PATIENT_KEY.hex(), "sealed": sealed(case).hex()}
        for case in cases()
    ]
    VECTORS.write_text(json.dumps(rows, indent=2) + "\n")
