"""Fixtures shared by every test: project paths, the demo document, the C-CDA corpus.

The corpus tests walk HL7's own C-CDA examples, shipped in ``tests/data/ccda/hl7/`` (see
its PROVENANCE.md), in every clone; set ``PHR_CORPUS_DIR`` to a directory of more C-CDA
documents (``make test`` passes ``../shared/corpus`` when there is one) and they walk
those too. Like ``PHR_TEST_DATABASE_URL`` below, it is a setting of the tests, not of
the app, so deploy/phr-share.env.sample does not list it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from phr_share.consent import Principal, Role
from phr_share.errors import InvalidDocument, MalformedXML, NotClinicalDocument
from phr_share.sharing import SegmentRecord

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DEMO_CCD = ROOT / "deploy" / "demo" / "demo-ccd.xml"
PATIENT = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
# The operator, as the command line acts: an admin who reads the log, never a segment.


HL7_EXAMPLES = DATA / "ccda" / "hl7"
# What each shipped HL7 example does: None, it splits (a whole document); otherwise the
# error it is refused with (the repository also holds stubs and fragments that show
# where entries go, and the parser must refuse them cleanly).
HL7_EXPECTED: dict[str, type[InvalidDocument] | None] = {
    "care-plan.xml": None,
    "ccd-1.xml": None,
    "ccd-2.xml": None,
    "ccd-replacing-a-parent.xml": None,
    "diagnostic-imaging-report.xml": None,
    "direct-addresses.xml": None,
    "discharge-summary.xml": None,
    "operative-note.xml": None,
    "procedure-note.xml": None,
    "progress-note.xml": None,
    "referral-fragment.xml": MalformedXML,  # sections with no document around them
    "referral-stub.xml": NotClinicalDocument,  # a ClinicalDocument in no namespace
    "unstructured-embedded-pdf.xml": None,
    "unstructured-plain-text.xml": None,
    "unstructured-pdf-reference.xml": None,
}


def corpus_dir() -> Path | None:
    """The larger corpus named by $PHR_CORPUS_DIR, or None when it is not set.

    Raises pytest.UsageError when it names no directory (a mistyped path would
    otherwise quietly test less)."""
    configured = os.environ.get("PHR_CORPUS_DIR", "").strip()
    if not configured:
        return None
    base = Path(configured)
    if not base.is_dir():
        raise pytest.UsageError(f"PHR_CORPUS_DIR is not a directory: {base}")
    return base


def corpus_files() -> list[Path]:
    """The documents every corpus test walks: every XML document under $PHR_CORPUS_DIR
    (sorted) when it is set, then the shipped HL7 examples that split."""
    shipped = [HL7_EXAMPLES / name for name, error in sorted(HL7_EXPECTED.items()) if not error]
    base = corpus_dir()
    if base is None:
        return shipped
    more = sorted(p for p in base.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
    return more + shipped


def corpus_name(path: Path) -> str:
    """A corpus document's name in test ids and seeds: ``hl7/NAME`` for a shipped
    example, its path within $PHR_CORPUS_DIR otherwise."""
    if path.parent == HL7_EXAMPLES:
        return f"hl7/{path.name}"
    base = corpus_dir()
    assert base is not None, path
    return str(path.relative_to(base))


# A small section that still maps to a kind (vital signs) and carries a narrative.
_SMALL_SECTION = (
    b'<component><section><code code="8716-3" codeSystem="2.16.840.1.113883.6.1"/>'
    b"<title>Vital signs</title><text>Seated, left arm.</text></section></component>"
)


def many_sections(count: int) -> bytes:
    """The demo CCD's header with a body of ``count`` small top-level sections."""
    demo = DEMO_CCD.read_bytes()
    start = demo.index(b"<structuredBody>") + len(b"<structuredBody>")
    end = demo.index(b"</structuredBody>")
    return demo[:start] + _SMALL_SECTION * count + demo[end:]


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
    from sqlalchemy.pool import NullPool

    schema = f"t_{uuid.uuid4().hex[:16]}"
    # No pool: each statement's connection is closed when it is given back, so none is
    # left for the garbage collector to find open in a later test.
    admin = create_engine(TEST_DATABASE_URL, poolclass=NullPool)
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


# The metadata every private object carries (see sharing/ingest.py).
METADATA_FIELDS = ("tracking-id", "kind", "key-id", "alg", "format", "ciphertext-sha256")


def forged_metadata(other: SegmentRecord) -> dict[str, str]:
    """For each metadata field, a plausible wrong value: ``other``'s, or another key's."""
    return {
        "tracking-id": str(other.tracking_id),
        "kind": other.kind.value,
        "key-id": "pk2",
        "alg": "aes256gcm",
        "format": "2",
        "ciphertext-sha256": other.ciphertext_sha256,
    }


def mismatch_logged(record: SegmentRecord, field: str) -> str:
    """What the operator's log says when a read finds ``field`` edited: the object's name
    (never the container, named for the patient), no value."""
    return (
        f"stored object {record.object_name} failed its integrity check: "
        f"metadata field {field} differs from the index and envelope"
    )
