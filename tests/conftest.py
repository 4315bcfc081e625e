"""Fixtures shared by every test: project paths, the demo document, the C-CDA corpus."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from phr_share.consent import Principal, Role
from phr_share.sharing import SegmentRecord

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DEMO_CCD = ROOT / "deploy" / "demo" / "demo-ccd.xml"
PATIENT = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
# The operator, as the command line acts: an admin who reads the log, never a segment.
OPERATOR = Principal("operator:test", Role.ADMIN)


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


# The database tests run on SQLite, and again on PostgreSQL when `make test` finds a
# server: it sets PHR_TEST_DATABASE_URL and runs `pytest -m db`. Each test gets its own
# schema there, dropped afterwards.
TEST_DATABASE_URL = os.environ.get("PHR_TEST_DATABASE_URL", "").strip()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'phr-share.db'}"
        return
    from sqlalchemy import create_engine

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{TEST_DATABASE_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def owner(record: SegmentRecord) -> Principal:
    """The patient a stored segment belongs to, as the decision point sees them."""
    return Principal(f"user:{record.patient_id}", Role.PATIENT, record.patient_id)
