"""An account's e-mail address (for notices and reset links), forgotten-password links
and the requests for them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 01:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("email", sa.String(254), nullable=True))
    # A unique index rather than a constraint: SQLite adds it without rebuilding the table.
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=True)
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("digest", name=op.f("uq_password_resets_digest")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"])
    op.create_table(
        "password_reset_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_requests")),
    )
    op.create_index(
        "ix_password_reset_requests_address_at", "password_reset_requests", ["address", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_password_reset_requests_address_at", "password_reset_requests")
    op.drop_table("password_reset_requests")
    op.drop_index(op.f("ix_password_resets_user_id"), "password_resets")
    op.drop_table("password_resets")
    op.drop_index(op.f("ix_users_email"), "users")
    with op.batch_alter_table("users") as table:
        table.drop_column("email")
