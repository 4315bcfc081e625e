"""Races settled by the database: an ingest's claim on its journal, one live grant per terms.

A pending document records which ingest attempt writes its objects and since when, so a
second attempt at the same document neither writes nor reports it new. A grant keeps a
digest of its terms, and a partial unique index lets one live grant per patient,
clinician, purpose, status and terms exist. Grants made before it get their digest
here; of live duplicates made before (two identical requests at once), the oldest
keeps it and the others none, so they stay readable and revocable but match nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from alembic import op

from phr_share.db.consent import terms_digest

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_LIVE = ("active", "pending")
_LIVE_GRANT = sa.text("status IN ('active', 'pending')")
_GRANTS = sa.table(
    "grants",
    sa.column("id", sa.Integer()),
    sa.column("patient_id", sa.Uuid()),
    sa.column("grantee_id", sa.Uuid()),
    sa.column("purpose", sa.String()),
    sa.column("status", sa.String()),
    sa.column("kinds", sa.String()),
    sa.column("except_kinds", sa.String()),
    sa.column("valid_until", sa.DateTime(timezone=True)),
    sa.column("terms_sha256", sa.String()),
)


def upgrade() -> None:
    op.add_column("documents", sa.Column("attempt", sa.String(length=32), nullable=True))
    op.add_column("documents", sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("grants", sa.Column("terms_sha256", sa.String(length=64), nullable=True))
    _fill_terms_digests()
    op.create_index(
        "uq_grants_live_terms",
        "grants",
        ["patient_id", "grantee_id", "purpose", "status", "terms_sha256"],
        unique=True,
        sqlite_where=_LIVE_GRANT,
        postgresql_where=_LIVE_GRANT,
    )


def _fill_terms_digests() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_GRANTS).order_by(_GRANTS.c.id)).all()
    seen: set[tuple[object, ...]] = set()
    digests = []
    for row in rows:
        until = row.valid_until
        if until is not None and until.tzinfo is None:  # SQLite keeps UTC without a zone
            until = until.replace(tzinfo=UTC)
        digest = terms_digest(row.kinds, row.except_kinds, until)
        key = (row.patient_id, row.grantee_id, row.purpose, row.status, digest)
        if row.status in _LIVE and key in seen:
            continue
        seen.add(key)
        digests.append({"b_id": row.id, "b_digest": digest})
    if digests:
        bind.execute(
            _GRANTS.update()
            .where(_GRANTS.c.id == sa.bindparam("b_id"))
            .values(terms_sha256=sa.bindparam("b_digest")),
            digests,
        )


def downgrade() -> None:
    op.drop_index("uq_grants_live_terms", table_name="grants")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("terms_sha256")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("attempted_at")
        batch.drop_column("attempt")
