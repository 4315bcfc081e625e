"""The use cases: ingest, read, release, rotate keys, erase; composing the layers below.

Each function takes :class:`Services` first; nothing here reads the environment.
"""

from phr_share.sharing.audit import AuditReport, audit_entries, verify_audit
from phr_share.sharing.erase import ErasureReport, erase_patient
from phr_share.sharing.ingest import (
    IngestResult,
    Placement,
    container_for,
    ingest_batch,
    ingest_document,
    object_name,
    recover,
)
from phr_share.sharing.keys import RotationReport, retire_master, rotate_master
from phr_share.sharing.read import SegmentRecord, find_segment, read_segment, segments_of
from phr_share.sharing.release import (
    ReleaseReport,
    choose_release,
    recover_releases,
    released_kinds,
    run_release,
)
from phr_share.sharing.services import Services, open_services

__all__ = [
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
]
