"""Accounts' queries against the real database: the filters and orderings the use cases
rely on, a patient's accounts and where mail goes among them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from phr_share.db import (
    ApiToken,
    Database,
    PasswordReset,
    Patient,
    PendingSignIn,
    User,
    WebSession,
)
from phr_share.db.queries import accounts as account_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _user(db: Database, username: str, role: str = "doctor", **fields: object) -> uuid.UUID:
    user_id = uuid.uuid4()
    with db.session() as session:
        session.add(
            User(
                id=user_id,
                username=username,
                role=role,
                display_name=username,
                created_at=NOW,
                **fields,
            )
        )
    return user_id


def test_a_user_is_matched_by_every_filter_given(db: Database) -> None:
    ann = _user(db, "ann")
    bob = _user(db, "bob")
    with db.session() as session:
        assert account_rows.user_matching(session, username="ann") is not None
        assert account_rows.user_matching(session, user_id=bob) is not None
        found = account_rows.user_matching(session, username="ann", user_id=ann)
        assert found is not None
        assert found.id == ann
        assert account_rows.user_matching(session, username="ann", user_id=bob) is None
        assert account_rows.user_id_named(session, "bob") == bob
        assert account_rows.user_id_named(session, "carl") is None


def test_staff_come_by_username_and_the_roles_left_out_are_not_there(db: Database) -> None:
    _user(db, "zoe", "admin")
    _user(db, "pat", "patient")
    _user(db, "amy", "nurse")
    with db.session() as session:
        rows = account_rows.users_outside(session, ["patient", "caregiver"])
        assert [row.username for row in rows] == ["amy", "zoe"]


def test_a_reset_names_an_active_account_by_username_or_address(db: Database) -> None:
    ann = _user(db, "ann", email="ann@example.org")
    _user(db, "gone", email="gone@example.org", active=False)
    with db.session() as session:
        by_name = account_rows.named_active_user(session, "ann")
        by_address = account_rows.named_active_user(session, "ann@example.org")
        assert by_name is not None
        assert by_address is not None
        assert by_name.id == by_address.id == ann
        assert account_rows.named_active_user(session, "gone@example.org") is None
        assert account_rows.email_owner(session, "gone@example.org") is not None


def test_tokens_come_newest_first(db: Database) -> None:
    ann = _user(db, "ann")
    with db.session() as session:
        for name in ("first", "second", "third"):
            session.add(
                ApiToken(
                    user_id=ann,
                    name=name,
                    digest=name.ljust(64, "0"),
                    created_at=NOW,
                    expires_at=NOW + timedelta(days=1),
                )
            )
    with db.session() as session:
        assert [row.name for row in account_rows.tokens_of(session, ann)] == [
            "third",
            "second",
            "first",
        ]
        token = account_rows.token_by_digest(session, "second".ljust(64, "0"))
        assert token is not None
        assert token.name == "second"


def _holder(
    db: Database, kind: type[WebSession] | type[PendingSignIn], digest: str, user_id: uuid.UUID
) -> None:
    with db.session() as session:
        session.add(kind(digest=digest, user_id=user_id, created_at=NOW, expires_at=NOW))


def test_a_holder_is_found_only_while_live_and_only_in_its_kind(db: Database) -> None:
    ann = _user(db, "ann")
    _holder(db, WebSession, "s" * 64, ann)
    _holder(db, PendingSignIn, "p" * 64, ann)
    before, after = NOW - timedelta(seconds=1), NOW
    with db.session() as session:
        found = account_rows.holder(session, WebSession, "s" * 64, before)
        assert found is not None
        assert found.id == ann
        assert account_rows.holder(session, WebSession, "s" * 64, after) is None
        assert account_rows.holder(session, PendingSignIn, "s" * 64, before) is None
        account_rows.drop_expired(session, WebSession, after)
    with db.session() as session:
        assert session.get(WebSession, "s" * 64) is None
        assert session.get(PendingSignIn, "p" * 64) is not None


def test_sessions_are_dropped_and_counted_for_one_account_only(db: Database) -> None:
    ann, bob = _user(db, "ann"), _user(db, "bob")
    for digest in ("a", "b", "c"):
        _holder(db, WebSession, digest * 64, ann)
    _holder(db, WebSession, "z" * 64, bob)
    earlier = NOW - timedelta(seconds=1)
    with db.session() as session:
        assert account_rows.other_sessions(session, "a" * 64, earlier) == 2
        assert account_rows.other_sessions(session, "a" * 64, NOW) == 0  # they ran out
        assert account_rows.drop_other_sessions(session, "a" * 64) == 2
    with db.session() as session:
        assert session.get(WebSession, "a" * 64) is not None
        assert session.get(WebSession, "z" * 64) is not None
        session.add(WebSession(digest="d" * 64, user_id=ann, created_at=NOW, expires_at=NOW))
        session.flush()
        assert account_rows.drop_sessions_of(session, ann, keep="d" * 64) == 1
        assert account_rows.drop_sessions_of(session, ann) == 1
        assert account_rows.drop_sessions_of(session, ann) == 0
        account_rows.end_sessions_of(session, bob)
    with db.session() as session:
        assert session.get(WebSession, "z" * 64) is None


def test_a_failure_clears_those_out_of_every_window(db: Database) -> None:
    old, hour = NOW - timedelta(days=2), timedelta(hours=1)
    with db.session() as session:
        account_rows.add_failure(session, old, "acct", "here", code=False, since=old)
        account_rows.add_failure(session, NOW, "acct", "there", code=True, since=NOW - hour)
        account_rows.add_failure(session, NOW, "other", "here", code=False, since=NOW - hour)
    with db.session() as session:
        assert account_rows.account_failures(session, "acct", old) == [(NOW, "there", True)]
        assert account_rows.address_failures(session, "here", old) == [NOW]
        account_rows.drop_failures(session, "other", "here")
        assert account_rows.address_failures(session, "here", old) == []


def _reset(db: Database, digest: str, user_id: uuid.UUID, *, made: datetime = NOW) -> None:
    with db.session() as session:
        session.add(
            PasswordReset(
                digest=digest,
                user_id=user_id,
                created_at=made,
                expires_at=made + timedelta(minutes=30),
            )
        )


def test_a_reset_link_is_live_once_in_time_and_for_an_active_account(db: Database) -> None:
    ann = _user(db, "ann")
    gone = _user(db, "gone", active=False)
    _reset(db, "a" * 64, ann)
    _reset(db, "b" * 64, ann)
    _reset(db, "g" * 64, gone)
    late = NOW + timedelta(minutes=30)
    with db.session() as session:
        assert account_rows.live_reset_owner(session, "a" * 64, NOW) == ann
        assert account_rows.live_reset_owner(session, "a" * 64, late) is None
        assert account_rows.live_reset_owner(session, "g" * 64, NOW) is None
        assert account_rows.use_reset(session, "a" * 64, late) is None
        assert account_rows.use_reset(session, "a" * 64, NOW) == ann
        assert account_rows.use_reset(session, "a" * 64, NOW) is None
        assert account_rows.live_reset_owner(session, "b" * 64, NOW) == ann
        account_rows.void_resets_of(session, ann, NOW)
        assert account_rows.live_reset_owner(session, "b" * 64, NOW) is None
        assert account_rows.resets_made(session, ann, NOW) == [NOW, NOW]
        assert account_rows.resets_made(session, ann, NOW + timedelta(seconds=1)) == []


def test_a_patients_accounts_and_what_they_name(db: Database) -> None:
    patient, nobody = uuid.uuid4(), uuid.uuid4()
    with db.session() as session:
        session.add_all(Patient(id=p, created_at=NOW) for p in (patient, nobody))
    owner = _user(db, "jordan", "patient", patient_id=patient, time_zone="Asia/Tokyo")
    with db.session() as session:
        assert list(account_rows.patient_account_ids(session, patient)) == [owner]
        assert list(account_rows.patient_account_ids(session, nobody)) == []
        assert [u.id for u in account_rows.patient_accounts(session, patient)] == [owner]
        assert account_rows.patient_accounts(session, nobody) == []
        account = account_rows.patient_account(session, patient)
        assert account is not None
        assert account.username == "jordan"
        assert account_rows.patient_account(session, nobody) is None
        assert account_rows.patient_display_name(session, patient) == "jordan"
        assert account_rows.patient_time_zone(session, patient) == "Asia/Tokyo"
        assert account_rows.patient_display_name(session, nobody) is None
        assert account_rows.patient_time_zone(session, nobody) is None


def test_a_caregiver_is_found_by_username_and_role(db: Database) -> None:
    carer = _user(db, "sam.child", "caregiver")
    _user(db, "doc")
    with db.session() as session:
        assert account_rows.caregiver_id_named(session, "sam.child") == carer
        assert account_rows.caregiver_id_named(session, "doc") is None
        assert account_rows.caregiver_id_named(session, "nobody") is None


def test_accounts_by_id_and_mail_to_active_ones_with_an_address(db: Database) -> None:
    ann = _user(db, "ann", email="ann@example.org")
    ben = _user(db, "ben", email="ben@example.org", active=False)
    clo = _user(db, "clo")
    with db.session() as session:
        found = account_rows.users_by_id(session, [ann, clo, uuid.uuid4()])
        assert {u.username for u in found} == {"ann", "clo"}
        assert list(account_rows.mail_addresses(session, [ann, ben, clo])) == ["ann@example.org"]
        assert list(account_rows.mail_addresses(session, [clo])) == []
