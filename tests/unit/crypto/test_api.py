"""The crypto package keeps its constants short and ``cryptography`` to itself."""

from __future__ import annotations

import subprocess
import sys

import phr_share.crypto


def test_the_constants_are_short_ascii_labels() -> None:
    assert phr_share.crypto.FORMAT_VERSION == 1
    assert phr_share.crypto.ALGORITHM.isascii()
    assert 0 < len(phr_share.crypto.ALGORITHM) <= 32


def test_cryptography_is_imported_by_crypto_only() -> None:
    """Importing the rest of the package does not pull in ``cryptography``."""
    code = (
        "import sys, phr_share.ccda, phr_share.policy, phr_share.errors, phr_share.settings;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
