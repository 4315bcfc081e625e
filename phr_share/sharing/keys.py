"""Patient keys: created on first ingest, wrapped by the master key, re-wrapped on rotation,
shredded on erasure (which makes every private segment of that patient unreadable). The
audit log's signing key, wrapped by the master key too, is re-wrapped with them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from phr_share.audit import Action
from phr_share.crypto import (
    SIGNING_KEY_FILE,
    WrappedKey,
    new_key,
    rewrap_signing_key,
    unwrap_patient_key,
    wrap_patient_key,
)
from phr_share.db import Patient, PatientKey, Session
from phr_share.db.queries import keys as key_rows
from phr_share.errors import ConfigurationError, IntegrityError, KeyErased
from phr_share.models import Principal
from phr_share.sharing.audit import record
from phr_share.sharing.guard import require_steward
from phr_share.sharing.services import Services

__all__ = [
    "RotationReport",
    "current_patient_key",
    "patient_key",
    "refuse_erased",
    "retire_master",
    "rotate_master",
]


def current_patient_key(
    svc: Services, session: Session, patient_id: uuid.UUID
) -> tuple[str, bytes]:
    """The key new segments of this patient are sealed with, created on first use."""
    rows = sorted(
        key_rows.keys_of(session, patient_id),
        key=lambda row: int(row.key_id.removeprefix("pk")),
    )
    live = [row for row in rows if row.wrapped is not None]
    if live:
        row = live[-1]
        return row.key_id, _unwrap(svc, row)
    key_id = f"pk{len(rows) + 1}"
    key = new_key(svc.randbytes)
    wrapped = wrap_patient_key(svc.keystore, patient_id, key_id, key)
    session.add(
        PatientKey(
            patient_id=patient_id,
            key_id=key_id,
            master_version=wrapped.master_version,
            wrapped=wrapped.blob,
            created_at=svc.clock(),
        )
    )
    session.flush()
    with svc.key_lock:
        svc.key_cache[(patient_id, key_id)] = key
    return key_id, key


def refuse_erased(session: Session, patient_id: uuid.UUID) -> None:
    """Raises KeyErased when the patient erased their data: nothing of it opens again."""
    patient = session.get(Patient, patient_id)
    if patient is not None and patient.erased_at is not None:
        raise KeyErased("this patient erased their data; none of it can be read")


def patient_key(svc: Services, session: Session, patient_id: uuid.UUID, key_id: str) -> bytes:
    """The patient key an object names; IntegrityError when no such key, KeyErased when shredded."""
    row = session.get(PatientKey, (patient_id, key_id))
    if row is None:
        raise IntegrityError()
    if row.wrapped is None:
        raise KeyErased("this patient's data was erased; it can no longer be decrypted")
    return _unwrap(svc, row)


def _unwrap(svc: Services, row: PatientKey) -> bytes:
    cached = svc.key_cache.get((row.patient_id, row.key_id))
    if cached is not None:
        return cached
    assert row.wrapped is not None
    key = unwrap_patient_key(
        svc.keystore, row.patient_id, row.key_id, WrappedKey(row.master_version, row.wrapped)
    )
    with svc.key_lock:
        svc.key_cache[(row.patient_id, row.key_id)] = key
    return key


@dataclass(frozen=True, slots=True)
class RotationReport:
    """A master key rotation: the new version and how many patient keys were re-wrapped."""

    master_version: str
    rewrapped: int
    versions: tuple[str, ...]


def rotate_master(svc: Services, principal: Principal) -> RotationReport:
    """Make a new master key version and re-wrap every live patient key under it.

    No segment is re-encrypted: only the small wrapped keys in the database change (and
    the audit signing key's file). An admin or the operator; raises AccessDenied otherwise.
    """
    actor = require_steward(principal).id
    version = svc.keystore.rotate()
    rewrap_signing_key(svc.keystore, svc.settings.master_key_dir / SIGNING_KEY_FILE)
    count = 0
    with svc.db.session() as session:
        for row in key_rows.keys_to_rewrap(session, version):
            key = _unwrap(svc, row)
            wrapped = wrap_patient_key(svc.keystore, row.patient_id, row.key_id, key)
            row.master_version, row.wrapped = wrapped.master_version, wrapped.blob
            row.rewrapped_at = svc.clock()
            count += 1
        record(
            svc,
            session,
            Action.ROTATE,
            actor,
            subject=f"master:{version}",
            details={"rewrapped": count},
        )
    return RotationReport(version, count, tuple(svc.keystore.versions()))


def retire_master(svc: Services, principal: Principal, version: str) -> None:
    """Retire an old master key version, as an admin or the operator; refused
    (ConfigurationError) while a patient key is still wrapped by it."""
    actor = require_steward(principal).id
    with svc.db.session() as session:
        in_use = key_rows.wraps_live_key(session, version)
    if in_use:
        raise ConfigurationError("patient keys are still wrapped by that master key: rotate first")
    # A signing key file left under an older version (a rotation cut off) moves first.
    rewrap_signing_key(svc.keystore, svc.settings.master_key_dir / SIGNING_KEY_FILE)
    svc.keystore.retire(version)
    with svc.db.session() as session:
        record(svc, session, Action.RETIRE, actor, subject=f"master:{version}")


def ensure_patient(svc: Services, session: Session, patient_id: uuid.UUID) -> Patient:
    """The patient's row, created on first sight."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        patient = Patient(id=patient_id, created_at=svc.clock())
        session.add(patient)
        session.flush()
    return patient
