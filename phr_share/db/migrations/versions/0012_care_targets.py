"""The targets a clinician sets for a patient's blood pressure and glucose.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("systolic", sa.Integer(), nullable=False),
        sa.Column("diastolic", sa.Integer(), nullable=False),
        sa.Column("glucose_low", sa.Integer(), nullable=False),
        sa.Column("glucose_high", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_care_targets_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_care_targets_set_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_targets")),
    )
    op.create_index(op.f("ix_care_targets_patient_id"), "care_targets", ["patient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_care_targets_patient_id"), "care_targets")
    op.drop_table("care_targets")
