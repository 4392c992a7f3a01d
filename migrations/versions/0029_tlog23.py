"""Witnesses of the transparency log: their cosignatures of checkpoints, and the size each last cosigned

Revision ID: 0029_tlog23
Revises: 0028_credit25a
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0029_tlog23"
down_revision: str | None = "0028_credit25a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tlog_cosignature",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("witness", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("line", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("cosigned_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", "witness"),
    )
    op.create_table(
        "tlog_witness_state",
        sa.Column("witness", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("updated_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("witness"),
    )


def downgrade() -> None:
    op.drop_table("tlog_witness_state")
    op.drop_table("tlog_cosignature")
