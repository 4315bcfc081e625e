"""Notifications: what a user must see at their next visit, because someone else did
something about their record or account: an emergency access, a note written to them, a
clinician asking to join their care or to bring a partner in, an administrator resetting
their second factor, a reading in the danger zone; for a caregiver, a patient asking
them in.

A notice holds a topic and the id of what it is about, never its content: the page
that shows it looks the rest up under the reader's own rights. A reader with an e-mail
address is also mailed that a notice waits (:mod:`phr_share.mail`), after the commit, so
a mail that fails never undoes the notice; the mail says nothing of what it is about.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from phr_share.consent import Principal
from phr_share.db import OUTBOX, Notification, Session
from phr_share.db.queries import accounts as account_rows
from phr_share.db.queries import notices as notice_rows
from phr_share.errors import NotFound
from phr_share.sharing.accounts import user_id_of
from phr_share.sharing.services import Services

__all__ = ["TOPICS", "Notice", "dismiss_notices", "notifications", "notify", "notify_patient"]

# What a notice can be about, in the order a patient would act on them.
TOPICS = (
    "danger",
    "break-glass",
    "mfa-reset",
    "partner-request",
    "care-request",
    "caregiver",
    "note",
    "targets",
)


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification: what happened (topic), about what (subject id), when, seen or not."""

    id: int
    topic: str
    subject: str
    created_at: datetime
    seen_at: datetime | None


def notify(
    session: Session, users: Iterable[uuid.UUID], topic: str, subject: str, now: datetime
) -> None:
    """Add one notice per user, in the caller's transaction; each active account with an
    e-mail address is also mailed, once the transaction is committed."""
    if topic not in TOPICS:
        raise ValueError(f"unknown notice topic {topic!r}")
    users = list(users)
    for user in users:
        session.add(Notification(user_id=user, topic=topic, subject=subject, created_at=now))
    if users:
        addresses = account_rows.mail_addresses(session, users)
        session.info.setdefault(OUTBOX, []).extend(addresses)


def notify_patient(
    session: Session, patient_id: uuid.UUID, topic: str, subject: str, now: datetime
) -> None:
    """Notify every account of the patient with this global id."""
    owners = account_rows.patient_account_ids(session, patient_id)
    notify(session, owners, topic, subject, now)


def notifications(
    svc: Services, user: Principal, *, mark_seen: bool = False, topics: Collection[str] = TOPICS
) -> list[Notice]:
    """The user's notifications, unseen first, as they were before this call;
    ``mark_seen`` marks those of ``topics`` seen."""
    with svc.db.session() as session:
        rows = notice_rows.notices_of(session, user_id_of(user))
        notices = [Notice(r.id, r.topic, r.subject, r.created_at, r.seen_at) for r in rows]
        if mark_seen:
            for row in rows:
                if row.topic in topics:
                    row.seen_at = row.seen_at or svc.clock()
        return notices


def dismiss_notices(svc: Services, user: Principal, notice_id: int | None = None) -> int:
    """Dismiss one of the user's notices (all of them, with no ``notice_id``): until then
    it stays on their pages. How many were dismissed; NotFound for a notice that is not
    the user's."""
    with svc.db.session() as session:
        me = user_id_of(user)
        if notice_id is not None:
            row = session.get(Notification, notice_id)
            if row is None or row.user_id != me:
                raise NotFound("no such notice")
        rows = notice_rows.unseen_notices(session, me, notice_id)
        for row in rows:
            row.seen_at = svc.clock()
        return len(rows)
