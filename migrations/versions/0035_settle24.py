"""Intake settlements (issue 24): a regulator links or dismisses a record waiting for review, or settles
a conflict between two sources, with who, when and why

Revision ID: 0035_settle24
Revises: 0034_intake24
Create Date: 2026-12-07 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db  # noqa: F401 - column types

revision: str = "0035_settle24"
down_revision: str | None = "0034_intake24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("conflict_id", sa.Integer(), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("settled_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("settled_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conflict_id"], ["intake_conflict.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["intake_record.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intake_settlement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_settlement_conflict_id"), ["conflict_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_intake_settlement_record_id"), ["record_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("intake_settlement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_settlement_record_id"))
        batch_op.drop_index(batch_op.f("ix_intake_settlement_conflict_id"))
    op.drop_table("intake_settlement")
