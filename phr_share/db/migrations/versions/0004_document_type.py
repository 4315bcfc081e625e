"""Documents remember their LOINC type code, so a patient's list can say what each is.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("type_code", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("type_code")
