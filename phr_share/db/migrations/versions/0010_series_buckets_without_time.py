"""The series buckets keep no write time: in clear it would tell when a patient last
measured each kind, which only the sealed bucket may say.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("series_buckets") as table:
        table.drop_column("updated_at")


def downgrade() -> None:
    with op.batch_alter_table("series_buckets") as table:
        table.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
