"""Notices' queries over a real database: unseen notices first, and dismissing only
unseen ones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from phr_share.db import Database, Notification, User
from phr_share.db.queries import notices as notice_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ANN = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
BEN = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
CLO = uuid.UUID("00000000-0000-4000-8000-0000000000c1")


@pytest.fixture
def db(blank_db: Database) -> Database:
    db = blank_db
    with db.session() as session:
        session.add_all(
            [
                User(
                    id=ANN,
                    username="ann",
                    role="doctor",
                    display_name="Ann",
                    created_at=NOW,
                    email="ann@example.org",
                ),
                User(
                    id=BEN,
                    username="ben",
                    role="doctor",
                    display_name="Ben",
                    created_at=NOW,
                    email="ben@example.org",
                    active=False,
                ),
                User(id=CLO, username="clo", role="doctor", display_name="Clo", created_at=NOW),
            ]
        )
    return db


def _notices(db: Database, *seen: bool) -> list[int]:
    with db.session() as session:
        rows = [
            Notification(
                user_id=ANN,
                topic="note",
                subject=f"note:{i}",
                created_at=NOW,
                seen_at=NOW if was_seen else None,
            )
            for i, was_seen in enumerate(seen)
        ]
        session.add(Notification(user_id=BEN, topic="note", subject="note:x", created_at=NOW))
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_notices_come_unseen_first_each_part_newest_first(db: Database) -> None:
    seen_old, unseen_old, seen_new, unseen_new = _notices(db, True, False, True, False)
    with db.session() as session:
        rows = notice_rows.notices_of(session, ANN)
        assert [row.id for row in rows] == [unseen_new, unseen_old, seen_new, seen_old]


def test_unseen_notices_are_the_users_own_and_one_given_its_id(db: Database) -> None:
    seen, unseen_old, _, unseen_new = _notices(db, True, False, True, False)
    with db.session() as session:
        mine = notice_rows.unseen_notices(session, ANN)
        assert sorted(row.id for row in mine) == [unseen_old, unseen_new]
        one = notice_rows.unseen_notices(session, ANN, unseen_old)
        assert [row.id for row in one] == [unseen_old]
        assert notice_rows.unseen_notices(session, ANN, seen) == []
        assert notice_rows.unseen_notices(session, CLO, unseen_old) == []
