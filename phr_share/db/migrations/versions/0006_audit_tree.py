"""The audit log as an RFC 6962 Merkle tree: a leaf hash per entry, the tree's frontier in
the head row, and the signed tree heads (a copy of what the object store holds).

Existing entries get their leaf hashes, and the head its frontier, from the entries'
canonical encoding, so a log written before this revision is covered like any other.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from phr_share.audit.chain import stored_entry
from phr_share.audit.merkle import frontier_append, leaf_hash
from phr_share.db.tables import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ENTRIES = sa.table(
    "audit_entries",
    sa.column("seq", sa.Integer()),
    sa.column("at", UtcDateTime()),
    sa.column("action", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("patient_id", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("details", sa.String()),
    sa.column("leaf_hash", sa.String()),
)
_HEAD = sa.table("audit_head", sa.column("id", sa.Integer()), sa.column("frontier", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("leaf_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("frontier", sa.String(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("audit_entries") as batch:
        batch.alter_column("leaf_hash", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("audit_head") as batch:
        batch.alter_column("frontier", existing_type=sa.String(), nullable=False)
    op.create_table(
        "audit_tree_heads",
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("object_name", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_audit_tree_heads")),
    )


def _backfill(connection: sa.Connection) -> None:
    """Leaf hashes for the entries there are, in order, and the frontier they make."""
    frontier: list[bytes] = []
    rows = connection.execute(sa.select(_ENTRIES).order_by(_ENTRIES.c.seq)).all()
    for size, row in enumerate(rows):
        leaf = leaf_hash(stored_entry(row).canonical())
        frontier = frontier_append(frontier, size, leaf)
        connection.execute(
            _ENTRIES.update().where(_ENTRIES.c.seq == row.seq).values(leaf_hash=leaf.hex())
        )
    connection.execute(_HEAD.update().values(frontier=b"".join(frontier).hex()))


def downgrade() -> None:
    op.drop_table("audit_tree_heads")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("frontier")
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("leaf_hash")
