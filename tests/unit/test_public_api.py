"""The public API is small and explicit: __all__ is what the package promises."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PUBLIC = {
    "phr_share.deid": {
        "DateMode",
        "DeidPolicy",
        "Finding",
        "FlatRecord",
        "Release",
        "ReleaseObject",
        "SafeHarbor",
        "build_release",
        "enforce_k_anonymity",
        "pseudonym",
        "scan",
    },
    "phr_share": {"Segment", "SegmentKind", "__version__"},
    "phr_share.crypto": {
        "ALGORITHM",
        "FORMAT_VERSION",
        "Binding",
        "KeyStore",
        "KmsKeyStore",
        "LocalKeyStore",
        "WrappedKey",
        "make_kms_client",
        "new_key",
        "open_keystore",
        "open_sealed",
        "peek_key_id",
        "seal",
        "unwrap_patient_key",
        "wrap_patient_key",
    },
    "phr_share.policy": {"Route", "RoutingPolicy", "load_routing_policy"},
    "phr_share.db": {
        "AuditEntry",
        "AuditHead",
        "Base",
        "Database",
        "Document",
        "DocumentStatus",
        "Erasure",
        "Patient",
        "PatientKey",
        "Release",
        "ReleaseChoice",
        "ReleaseItem",
        "StoredSegment",
    },
    "phr_share.audit": {
        "GENESIS",
        "Action",
        "Break",
        "Entry",
        "Head",
        "Outcome",
        "entry_hash",
        "first_break",
    },
    "phr_share.sharing": {
        "AuditReport",
        "ErasureReport",
        "IngestResult",
        "Placement",
        "ReleaseReport",
        "RotationReport",
        "SegmentRecord",
        "Services",
        "audit_entries",
        "choose_release",
        "container_for",
        "erase_patient",
        "find_segment",
        "ingest_batch",
        "ingest_document",
        "object_name",
        "open_services",
        "read_segment",
        "recover",
        "recover_releases",
        "released_kinds",
        "retire_master",
        "rotate_master",
        "run_release",
        "segments_of",
        "verify_audit",
    },
    "phr_share.ccda": {
        "HIDEABLE_FIELDS",
        "FamilyCondition",
        "Mood",
        "PatientHeader",
        "Quantity",
        "Readings",
        "SplitDocument",
        "classify",
        "concatenate_segments",
        "hide_fields",
        "parse_readings",
        "parse_xml",
        "readings_document",
        "rebuild_document",
        "segment_from_xml",
        "segment_to_xml",
        "segments_from_xml",
        "segments_to_xml",
        "select_segments",
        "split_document",
    },
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_lists_exactly_the_public_names(module: str) -> None:
    imported = importlib.import_module(module)
    assert set(imported.__all__) == PUBLIC[module]
    for name in imported.__all__:
        assert hasattr(imported, name)


def test_importing_the_package_does_no_work() -> None:
    # Nothing is built at import time: the section table and schemas load on first use.
    probe = (
        "import phr_share, phr_share.cli;"
        "import phr_share.ccda.sections as s, phr_share.ccda.schemas as x;"
        "print(s.section_table.cache_info().currsize, len(getattr(x._local, 'schemas', {})))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "0"]
