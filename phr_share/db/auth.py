"""Second factors, sign-ins waiting for one, recent sign-in failures and password resets.

Secrets are sealed or hashed: a TOTP seed is stored sealed (``phr_share.crypto``), a
recovery code or a pending sign-in's id only as a digest. Failures are kept for the
throttle's window only, keyed by digests of the username and the address, never the
values themselves. Every web process reads the same rows, so a restart or a second
worker sees the same counts. Their queries are in :mod:`phr_share.db.queries.auth` and
:mod:`phr_share.db.queries.accounts`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from phr_share.db.tables import Base, UtcDateTime

__all__ = [
    "MfaFactor",
    "PasswordReset",
    "PendingSignIn",
    "RecoveryCode",
    "ResetRequest",
    "SignInFailure",
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
