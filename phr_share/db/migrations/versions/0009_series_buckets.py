"""The measurement series: sealed monthly buckets per patient and kind.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series_buckets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_series_buckets_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_buckets")),
        sa.UniqueConstraint(
            "patient_id", "kind", "month", name=op.f("uq_series_buckets_patient_id_kind_month")
        ),
    )


def downgrade() -> None:
    op.drop_table("series_buckets")
