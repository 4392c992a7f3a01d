"""A lot's failed sampled tests, from other agencies' labs through intake, shown on the consumer's scan
(issue 24)

Revision ID: 0042_lab24
Revises: 0041_assoc24
Create Date: 2026-12-07 07:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0042_lab24"
down_revision: str | None = "0041_assoc24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lot_lab_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("intake_record_id", sa.Integer(), nullable=False),
        sa.Column("title_zh", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("title_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("source_name_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("tested_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["declaration_line.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("intake_record_id"),
    )
    op.create_index("ix_lot_lab_failure_line_id", "lot_lab_failure", ["line_id"])


def downgrade() -> None:
    op.drop_index("ix_lot_lab_failure_line_id", table_name="lot_lab_failure")
    op.drop_table("lot_lab_failure")
