"""Accounts, their API tokens and their signed-in browser sessions.

Ids, names and timestamps; the only free text is a user's display name (and the e-mail
address notices go to). Secrets are stored as hashes: a password as scrypt, a token or
a session id as its SHA-256.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from phr_share.db.tables import Base, UtcDateTime

__all__ = ["ApiToken", "User", "WebSession"]


class User(Base):
    """An account; a patient account owns exactly one patient id."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(256), default=None)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patients.id"), unique=True, default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The IANA zone every time is shown in; None until the browser tells it.
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    # Where notices and reset links are mailed; stored in lower case, so one address
    # belongs to one account whatever its case. None: no mail.
    email: Mapped[str | None] = mapped_column(String(254), unique=True, index=True, default=None)


class ApiToken(Base):
    """A machine-access token: its SHA-256 only, an expiry, and revocation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class WebSession(Base):
    """A signed-in browser: the SHA-256 of its session id, whose account, until when.

    The cookie names the session; this row is what makes it valid, so signing out (or
    an account being disabled) ends it even where a copy of the cookie survives.
    """

    __tablename__ = "web_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
