"""Second factors, sign-ins waiting for one, and recent sign-in failures, with their queries.

Secrets are sealed or hashed: a TOTP seed is stored sealed (``phr_share.crypto``), a
recovery code or a pending sign-in's id only as a digest. Failures are kept for the
throttle's window only, keyed by digests of the username and the address, never the
values themselves. Every web process reads the same rows, so a restart or a second
worker sees the same counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from phr_share.db.tables import Base, UtcDateTime

__all__ = [
    "MfaFactor",
    "PasswordReset",
    "PendingSignIn",
    "RecoveryCode",
    "ResetRequest",
    "SignInFailure",
    "account_failures",
    "add_failure",
    "address_failures",
    "claim_recovery_code",
    "claim_step",
    "drop_failures",
    "enrolled_users",
]


class MfaFactor(Base):
    """An account's TOTP second factor: its sealed secret, confirmed once a code matched,
    and the last time step a code was accepted for (a step is never accepted twice)."""

    __tablename__ = "mfa_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)


class RecoveryCode(Base):
    """A one-time recovery code: its keyed digest, and when it was used up."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class PendingSignIn(Base):
    """A right password waiting for its second factor: the id's SHA-256, for 5 minutes."""

    __tablename__ = "pending_sign_ins"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SignInFailure(Base):
    """One wrong password or code: when, for which account, from which address (digests)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_account_at", "account", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    account: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)


class PasswordReset(Base):
    """A forgotten-password link: the SHA-256 of its token, for 30 minutes, used once."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class ResetRequest(Base):
    """One "forgot my password" request: when, from which address (a keyed digest),
    kept for the throttle's window, whether or not an account matched."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (Index("ix_password_reset_requests_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    address: Mapped[str] = mapped_column(String(64))


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


def add_failure(
    session: Session, at: datetime, account: str, address: str, *, code: bool, since: datetime
) -> None:
    """Count one failure; failures from before ``since`` (out of every window) are dropped."""
    session.execute(delete(SignInFailure).where(SignInFailure.at < since))
    session.add(SignInFailure(at=at, account=account, address=address, second_factor=code))


def account_failures(
    session: Session, account: str, since: datetime
) -> list[tuple[datetime, str, bool]]:
    """The account's failures since then: (when, address digest, a wrong code or not)."""
    query = select(SignInFailure.at, SignInFailure.address, SignInFailure.second_factor).where(
        SignInFailure.account == account, SignInFailure.at >= since
    )
    return [(at, address, code) for at, address, code in session.execute(query)]


def address_failures(session: Session, address: str, since: datetime) -> list[datetime]:
    """When the address failed since then, for any account."""
    query = select(SignInFailure.at).where(
        SignInFailure.address == address, SignInFailure.at >= since
    )
    return list(session.scalars(query))


def drop_failures(session: Session, account: str, address: str) -> None:
    """Forget the account's failures from this address (it has just signed in from there)."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.account == account, SignInFailure.address == address
        )
    )
