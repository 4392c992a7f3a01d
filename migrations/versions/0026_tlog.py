"""The public transparency log (issue 23): leaves, the tree's nodes, signed checkpoints

Revision ID: 0026_tlog
Revises: 0025_epcis_rest
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0026_tlog"
down_revision: str | None = "0025_epcis_rest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tlog_leaf",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("source_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("appended_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idx"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_tlog_leaf_subject", "tlog_leaf", ["subject", "version"], unique=False)
    op.create_table(
        "tlog_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "tlog_checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("max_lag_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("size"),
    )


def downgrade() -> None:
    op.drop_table("tlog_checkpoint")
    op.drop_table("tlog_node")
    op.drop_index("ix_tlog_leaf_subject", table_name="tlog_leaf")
    op.drop_table("tlog_leaf")
