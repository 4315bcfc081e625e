"""Second factors' queries: TOTP factors, recovery codes, sign-ins waiting for a code.

A factor's secret stays sealed and a code arrives as its keyed digest: the claims here
are single conditional UPDATEs, so two requests with the same code cannot both pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from phr_share.db.auth import MfaFactor, PendingSignIn, RecoveryCode

__all__ = [
    "claim_recovery_code",
    "claim_step",
    "drop_factor_of",
    "drop_pending_sign_in",
    "drop_pending_sign_ins_of",
    "drop_recovery_codes_of",
    "enrolled_users",
    "recovery_codes_left",
]


def enrolled_users(session: Session, user_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these accounts have a confirmed second factor."""
    if not user_ids:
        return set()
    query = select(MfaFactor.user_id).where(
        MfaFactor.user_id.in_(user_ids), MfaFactor.confirmed_at.is_not(None)
    )
    return set(session.scalars(query))


def claim_step(session: Session, user_id: uuid.UUID, step: int) -> bool:
    """Record ``step`` as the last one used, if it is later than the last; False for a replay.

    One conditional UPDATE, so two requests with the same code cannot both succeed.
    """
    claimed = session.execute(
        update(MfaFactor)
        .where(MfaFactor.user_id == user_id, MfaFactor.last_step < step)
        .values(last_step=step)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def drop_factor_of(session: Session, user_id: uuid.UUID) -> None:
    """Delete the account's second factor, confirmed or still being set up."""
    session.execute(delete(MfaFactor).where(MfaFactor.user_id == user_id))


def recovery_codes_left(session: Session, user_id: uuid.UUID) -> int:
    """How many of the account's recovery codes are still unused."""
    query = select(func.count()).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
    )
    return session.scalar(query) or 0


def claim_recovery_code(session: Session, user_id: uuid.UUID, digest: str, now: datetime) -> bool:
    """Use up the account's unused recovery code with this digest; False if there is none."""
    claimed = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.digest == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def drop_recovery_codes_of(session: Session, user_id: uuid.UUID) -> None:
    """Delete every recovery code of the account, used or not."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def drop_pending_sign_in(session: Session, digest: str) -> None:
    """Delete the pending sign-in with this digest (its code was right): it is used up."""
    session.execute(delete(PendingSignIn).where(PendingSignIn.digest == digest))


def drop_pending_sign_ins_of(session: Session, user_id: uuid.UUID) -> None:
    """Delete every sign-in of the account still waiting for its code."""
    session.execute(delete(PendingSignIn).where(PendingSignIn.user_id == user_id))
