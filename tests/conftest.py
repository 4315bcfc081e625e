"""Fixtures shared by every test: project paths, the demo document, the C-CDA corpus."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DEMO_CCD = ROOT / "deploy" / "demo" / "demo-ccd.xml"
PATIENT = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")


def corpus_dir() -> Path:
    """The shared corpus: $PHR_CORPUS_DIR, else ../shared/corpus beside the project."""
    configured = os.environ.get("PHR_CORPUS_DIR")
    return Path(configured) if configured else ROOT.parent / "shared" / "corpus"


def corpus_files() -> list[Path]:
    """Every XML document of the corpus, sorted; empty when the corpus is absent."""
    base = corpus_dir()
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")


@pytest.fixture
def demo_ccd() -> bytes:
    return DEMO_CCD.read_bytes()


@pytest.fixture
def patient() -> uuid.UUID:
    return PATIENT
