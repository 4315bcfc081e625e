"""Notifications' queries: a user's notices, seen or not."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.db.consent import Notification

__all__ = ["notices_of", "unseen_notices"]


def notices_of(session: Session, user_id: uuid.UUID) -> Sequence[Notification]:
    """A user's notices, unseen first, each part newest first."""
    return session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.seen_at.is_not(None), Notification.id.desc())
    ).all()


def unseen_notices(
    session: Session, user_id: uuid.UUID, notice_id: int | None = None
) -> Sequence[Notification]:
    """A user's notices not seen yet (only the one with ``notice_id``, given one)."""
    query = select(Notification).where(
        Notification.user_id == user_id, Notification.seen_at.is_(None)
    )
    if notice_id is not None:
        query = query.where(Notification.id == notice_id)
    return session.scalars(query).all()
