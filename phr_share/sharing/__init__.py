"""The use cases: accounts, consent, ingest, read, release, keys, erasure, audit.

Each function takes :class:`Services` first; nothing here reads the environment. Every
read of a segment goes through the decision point (:func:`read_segment`).
"""

from phr_share.sharing.access import ROUTER, preview_policy
from phr_share.sharing.accounts import (
    Account,
    IssuedToken,
    authenticate,
    authenticate_token,
    create_user,
    disable_user,
    find_account,
    issue_token,
    principal_of,
    revoke_token,
)
from phr_share.sharing.audit import AuditReport, audit_entries, verify_audit
from phr_share.sharing.care import accept_care, end_care, invite_clinician, request_care
from phr_share.sharing.emergency import (
    EmergencyAccess,
    Notice,
    declare_emergency,
    emergencies_of,
    notifications,
    review_emergency,
    review_queue,
)
from phr_share.sharing.erase import ErasureReport, erase_patient
from phr_share.sharing.grants import (
    GrantHistory,
    answer_delegation,
    ask_partner,
    change_grant,
    grant_access,
    grants_of,
    revoke_grant,
    set_sensitivity,
)
from phr_share.sharing.history import AccessEvent, access_history, export_fhir
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
from phr_share.sharing.links import (
    NewLink,
    create_share_link,
    open_share_link,
    revoke_share_link,
)
from phr_share.sharing.read import (
    SegmentRecord,
    current_segments,
    find_segment,
    read_segment,
    readable_segments,
    segments_of,
    try_policy,
)
from phr_share.sharing.release import (
    ReleaseReport,
    choose_release,
    recover_releases,
    released_kinds,
    run_release,
)
from phr_share.sharing.services import Services, open_services

__all__ = [
    "ROUTER",
    "AccessEvent",
    "Account",
    "AuditReport",
    "EmergencyAccess",
    "ErasureReport",
    "GrantHistory",
    "IngestResult",
    "IssuedToken",
    "NewLink",
    "Notice",
    "Placement",
    "ReleaseReport",
    "RotationReport",
    "SegmentRecord",
    "Services",
    "accept_care",
    "access_history",
    "answer_delegation",
    "ask_partner",
    "audit_entries",
    "authenticate",
    "authenticate_token",
    "change_grant",
    "choose_release",
    "container_for",
    "create_share_link",
    "create_user",
    "current_segments",
    "declare_emergency",
    "disable_user",
    "emergencies_of",
    "end_care",
    "erase_patient",
    "export_fhir",
    "find_account",
    "find_segment",
    "grant_access",
    "grants_of",
    "ingest_batch",
    "ingest_document",
    "invite_clinician",
    "issue_token",
    "notifications",
    "object_name",
    "open_services",
    "open_share_link",
    "preview_policy",
    "principal_of",
    "read_segment",
    "readable_segments",
    "recover",
    "recover_releases",
    "released_kinds",
    "request_care",
    "retire_master",
    "review_emergency",
    "review_queue",
    "revoke_grant",
    "revoke_share_link",
    "revoke_token",
    "rotate_master",
    "run_release",
    "segments_of",
    "set_sensitivity",
    "try_policy",
    "verify_audit",
]
