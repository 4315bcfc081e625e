"""Seal and open throughput of the envelope format, for small and large segments.

Each sealed segment costs a fresh data key, two HKDF derivations and two AES-GCM
operations, so small segments are bound by the fixed cost and large ones by AES. The
baseline, measured in the same run, is one bare AES-256-GCM encryption of the same bytes.

    python bench/crypto.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable
from functools import partial

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phr_share.crypto import Binding, new_key, open_sealed, seal

SIZES = (2 * 1024, 64 * 1024)


def rate(action: Callable[[], object], size: int, seconds: float) -> tuple[float, float]:
    """Operations per second and MB/s (10**6 bytes) of ``action`` over ``size`` bytes."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            action()
        count += 50
    return count / elapsed, count * size / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    key = new_key()
    binding = Binding(uuid.uuid4(), uuid.uuid4(), "physical-signs", "pk1")
    raw_cipher, nonce = AESGCM(AESGCM.generate_key(bit_length=256)), os.urandom(12)
    print(f"{'segment':>8}  {'seal/s':>9}  {'seal MB/s':>9}  {'open/s':>9}  {'open MB/s':>9}")
    figures: dict[str, dict[str, float]] = {}
    for size in SIZES:
        plaintext = os.urandom(size)
        blob = seal(plaintext, key, binding)
        sealed_ops, sealed_mb = rate(partial(seal, plaintext, key, binding), size, args.seconds)
        opened_ops, opened_mb = rate(partial(open_sealed, blob, key, binding), size, args.seconds)
        raw_ops, _ = rate(partial(raw_cipher.encrypt, nonce, plaintext, None), size, args.seconds)
        print(
            f"{size // 1024:>6} KB  {sealed_ops:>9.0f}  {sealed_mb:>9.1f}"
            f"  {opened_ops:>9.0f}  {opened_mb:>9.1f}"
        )
        figures[f"{size // 1024}KB"] = {
            "seal_per_s": round(sealed_ops),
            "open_per_s": round(opened_ops),
            "raw_aes_gcm_per_s": round(raw_ops),
            "ratio_seal_raw": round(sealed_ops / raw_ops, 3),
            "ratio_open_raw": round(opened_ops / raw_ops, 3),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
