"""Second factors' queries on the real database: claims succeed once, drops stay per account."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from phr_share.db import Database, MfaFactor, PendingSignIn, RecoveryCode, User
from phr_share.db.queries import auth as auth_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _user(db: Database, username: str, *, confirmed: bool | None = None) -> uuid.UUID:
    """An account; with a factor (confirmed or being set up) unless ``confirmed`` is None."""
    user_id = uuid.uuid4()
    with db.session() as session:
        session.add(
            User(id=user_id, username=username, role="doctor", display_name="", created_at=NOW)
        )
        if confirmed is not None:
            session.flush()
            session.add(
                MfaFactor(
                    user_id=user_id,
                    sealed_secret=b"sealed",
                    created_at=NOW,
                    confirmed_at=NOW if confirmed else None,
                    last_step=10,
                )
            )
    return user_id


def test_only_a_confirmed_factor_counts_as_enrolled(db: Database) -> None:
    ann = _user(db, "ann", confirmed=True)
    bob = _user(db, "bob", confirmed=False)
    carl = _user(db, "carl")
    with db.session() as session:
        assert auth_rows.enrolled_users(session, [ann, bob, carl]) == {ann}
        assert auth_rows.enrolled_users(session, []) == set()


def test_a_step_is_claimed_once_and_only_after_the_last(db: Database) -> None:
    ann = _user(db, "ann", confirmed=True)
    with db.session() as session:
        assert not auth_rows.claim_step(session, ann, 10)
        assert auth_rows.claim_step(session, ann, 11)
        assert not auth_rows.claim_step(session, ann, 11)
        assert not auth_rows.claim_step(session, ann, 9)
    with db.session() as session:
        assert session.get_one(MfaFactor, ann).last_step == 11


def test_a_recovery_code_is_used_up_once_and_only_by_its_account(db: Database) -> None:
    ann = _user(db, "ann", confirmed=True)
    bob = _user(db, "bob", confirmed=True)
    with db.session() as session:
        for user_id, digest in ((ann, "a1"), (ann, "a2"), (bob, "b1")):
            session.add(RecoveryCode(user_id=user_id, digest=digest))
    with db.session() as session:
        assert auth_rows.recovery_codes_left(session, ann) == 2
        assert not auth_rows.claim_recovery_code(session, bob, "a1", NOW)
        assert auth_rows.claim_recovery_code(session, ann, "a1", NOW)
        assert not auth_rows.claim_recovery_code(session, ann, "a1", NOW)
        assert auth_rows.recovery_codes_left(session, ann) == 1
        auth_rows.drop_recovery_codes_of(session, ann)
        assert auth_rows.recovery_codes_left(session, ann) == 0
        assert auth_rows.recovery_codes_left(session, bob) == 1


def test_drops_touch_only_the_account_or_the_sign_in_named(db: Database) -> None:
    ann = _user(db, "ann", confirmed=True)
    bob = _user(db, "bob", confirmed=True)
    later = NOW + timedelta(minutes=5)
    with db.session() as session:
        for digest, user_id in (("a" * 64, ann), ("b" * 64, ann), ("c" * 64, bob)):
            session.add(
                PendingSignIn(digest=digest, user_id=user_id, created_at=NOW, expires_at=later)
            )
    with db.session() as session:
        auth_rows.drop_pending_sign_in(session, "a" * 64)
        assert session.get(PendingSignIn, "a" * 64) is None
        assert session.get(PendingSignIn, "b" * 64) is not None
        auth_rows.drop_pending_sign_ins_of(session, ann)
        auth_rows.drop_factor_of(session, ann)
    with db.session() as session:
        assert session.get(PendingSignIn, "b" * 64) is None
        assert session.get(PendingSignIn, "c" * 64) is not None
        assert session.get(MfaFactor, ann) is None
        assert session.get(MfaFactor, bob) is not None
