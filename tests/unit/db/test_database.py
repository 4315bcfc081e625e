"""The index database: migrations bring an empty database to the models, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import StatementError

from phr_share.audit import GENESIS, Action, Entry, MerkleTree, entry_hash, frontier_root, leaf_hash
from phr_share.audit.merkle import node_hash
from phr_share.db import AuditEntry, AuditHead, Base, Database, Grant, Patient, User
from phr_share.db.consent import terms_digest
from phr_share.db.database import _alembic_config
from phr_share.db.tables import UtcDateTime
from phr_share.errors import ConfigurationError, StoreUnavailable
from phr_share.sharing.tree_heads import frontier_of


def test_migrations_create_exactly_the_modelled_tables_and_columns(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    assert db.is_current()
    inspector = inspect(db.engine)
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        migrated = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
        assert migrated == {c.name: c.nullable for c in table.columns}, name
    db.migrate()  # a second run has nothing to do
    db.dispose()


def test_timestamps_come_back_aware_and_naive_ones_are_refused(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    patient = uuid.uuid4()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.session() as session:
        session.add(Patient(id=patient, created_at=when))
    with db.session() as session:
        assert session.get_one(Patient, patient).created_at == when
    naive = Patient(id=uuid.uuid4(), created_at=datetime(2026, 1, 1))
    with pytest.raises(StatementError, match="timezone-aware"):
        _add(db, naive)
    db.dispose()


def test_a_session_rolls_back_on_error(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    patient = uuid.uuid4()
    with pytest.raises(RuntimeError):
        _add(db, Patient(id=patient, created_at=datetime.now(UTC)), then_fail=True)
    with db.session() as session:
        assert session.get(Patient, patient) is None
    db.dispose()


def test_a_bad_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        Database("not a url")


def test_an_unreachable_server_is_unavailable() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreUnavailable):
        db.migrate()
    with pytest.raises(StoreUnavailable):
        db.check()


def _add(db: Database, patient: Patient, *, then_fail: bool = False) -> None:
    with db.session() as session:
        session.add(patient)
        session.flush()
        if then_fail:
            raise RuntimeError


def _upgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_grants_made_before_the_unique_index_get_their_digest_and_duplicates_none(
    database_url: str,
) -> None:
    db = Database(database_url)
    _upgrade(db, "0005")
    patient, doctor, when = uuid.uuid4(), uuid.uuid4(), datetime(2026, 1, 2, tzinfo=UTC)
    until = datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(insert(Patient.__table__), [{"id": patient, "created_at": when}])
        connection.execute(
            insert(User.__table__),
            [
                {
                    "id": doctor,
                    "username": "dr",
                    "role": "doctor",
                    "display_name": "Dr",
                    "active": True,
                    "created_at": when,
                }
            ],
        )
        grant = {
            "patient_id": patient,
            "grantee_id": doctor,
            "purpose": "treatment",
            "kinds": "lifestyle",
            "except_kinds": "",
            "valid_from": when,
            "valid_until": until,
            "created_at": when,
        }
        connection.execute(
            insert(Grant.__table__),
            [
                {**grant, "status": "active"},
                {**grant, "status": "active"},
                {**grant, "status": "revoked"},
            ],
        )
    db.migrate()
    with db.session() as session:
        digests = session.scalars(select(Grant.terms_sha256).order_by(Grant.id)).all()
    wanted = terms_digest("lifestyle", "", until)
    assert digests == [wanted, None, wanted]  # the later live twin matches nothing
    db.dispose()


def test_the_audit_tree_migration_gives_an_existing_log_its_leaves_and_frontier(
    database_url: str,
) -> None:
    db = Database(database_url)
    db.migrate("0005")
    entries = sa.table(
        "audit_entries",
        *(sa.column(c) for c in ("seq", "action", "actor", "outcome", "patient_id")),
        *(sa.column(c) for c in ("subject", "details", "prev_hash", "hash")),
        sa.column("at", UtcDateTime()),
    )
    previous, written = GENESIS, []
    for seq in range(1, 6):
        entry = Entry(seq, datetime(2026, 1, seq, tzinfo=UTC), Action.LOGIN, f"user:{seq}")
        digest = entry_hash(previous, entry)
        row = {"seq": seq, "at": entry.at, "action": entry.action.value, "actor": entry.actor}
        row |= {"outcome": "ok", "patient_id": None, "subject": None, "details": "{}"}
        row |= {"prev_hash": previous, "hash": digest}
        with db.engine.begin() as connection:
            connection.execute(entries.insert().values(**row))
        previous = digest
        written.append(entry)
    with db.engine.begin() as connection:
        connection.execute(
            sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
            .insert()
            .values(id=1, seq=5, hash=previous)
        )
    db.migrate()
    leaves = [leaf_hash(e.canonical()) for e in written]
    with db.session() as session:
        stored = session.scalars(sa.select(AuditEntry.leaf_hash).order_by(AuditEntry.seq)).all()
        head = session.get_one(AuditHead, 1)
    assert stored == [leaf.hex() for leaf in leaves]
    assert (
        head.frontier
        == (node_hash(node_hash(*leaves[:2]), node_hash(*leaves[2:4])) + leaves[4]).hex()
    )
    assert frontier_root(frontier_of(head)) == MerkleTree(leaves).root()
    db.dispose()
