"""Erasure by crypto-shredding: destroy the patient's keys, then delete their container.

The keys go first (with the sealed series rows) and are committed before any object is
touched, and with them the account closes: its care relationships and grants end and it
signs in no more. From that moment no
copy of the patient's private segments anywhere (replicas, backups of the object store)
can be decrypted, even if deleting the container fails half-way. Running it again
finishes the deletion.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from phr_share.audit import Action
from phr_share.consent import CareStatus
from phr_share.db import Erasure, Patient, Session
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import care as care_rows
from phr_share.db.queries import documents as document_rows
from phr_share.db.queries import keys as key_rows
from phr_share.db.queries import releases as release_rows
from phr_share.db.queries import series as series_rows
from phr_share.errors import NotFound
from phr_share.models import Principal
from phr_share.sharing.accounts import drop_account_sessions
from phr_share.sharing.audit import record
from phr_share.sharing.grants import revoke_grants_of
from phr_share.sharing.guard import require_owner_or_operator
from phr_share.sharing.ingest import container_for
from phr_share.sharing.services import Services

__all__ = ["ErasureReport", "erase_patient"]


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What an erasure destroyed: keys shredded, segments made unreadable, objects deleted."""

    patient_id: uuid.UUID
    keys_destroyed: int
    segments: int
    objects_deleted: int


def erase_patient(svc: Services, principal: Principal, patient_id: uuid.UUID) -> ErasureReport:
    """Shred a patient's keys and delete their container, as the patient or the operator;
    raises AccessDenied for anyone else, NotFound or StorageError."""
    actor = principal.id
    require_owner_or_operator(principal, patient_id)
    now = svc.clock()
    with svc.db.session() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFound("no patient has that id")
        keys = key_rows.live_keys(session, patient_id)
        for key in keys:
            key.wrapped, key.destroyed_at = None, now
        for choice in release_rows.choices_in_force(session, patient_id):
            choice.withdrawn_at = now
        patient.erased_at = now
        _close_account(svc, session, principal, patient_id, now)
        # The key is gone, so the series could not be opened again; its rows go too.
        series_rows.delete_buckets(session, patient_id)
        segments = document_rows.segment_count(session, patient_id)
    svc.forget_keys(patient_id)
    deleted = svc.private.delete_container(container_for(patient_id))
    with svc.db.session() as session:
        record(
            svc,
            session,
            Action.ERASE,
            actor,
            patient_id=patient_id,
            details={"keys": len(keys), "segments": segments, "objects": deleted},
        )
        session.add(
            Erasure(
                patient_id=patient_id,
                erased_at=now,
                keys_destroyed=len(keys),
                segments=segments,
                objects_deleted=deleted,
            )
        )
    return ErasureReport(patient_id, len(keys), segments, deleted)


def _close_account(
    svc: Services, session: Session, principal: Principal, patient_id: uuid.UUID, now: datetime
) -> None:
    """Nothing is left to share or sign in to: every care relationship ends (its grants
    revoked, so the patient leaves the clinicians' lists), the account is closed and its
    sessions end."""
    for care in care_rows.open_relationships(session, patient_id=patient_id):
        care.status, care.ended_at = CareStatus.ENDED, now
        revoke_grants_of(svc, session, principal, patient_id, care.clinician_id)
    for user in account_rows.patient_accounts(session, patient_id):
        user.active = False
        drop_account_sessions(session, user.id, None)
