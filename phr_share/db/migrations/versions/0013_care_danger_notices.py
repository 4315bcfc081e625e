"""Each care relationship says whether its carer is told of a reading in the danger zone:
clinicians are, as before; a caregiver when the patient chose so.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 01:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("care_relationships") as table:
        table.add_column(
            sa.Column("danger_notices", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("care_relationships") as table:
        table.drop_column("danger_notices")
