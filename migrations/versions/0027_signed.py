"""Signed codes: the code-signing key hierarchy (root and importers' signing keys, their certificates),
a batch's signing key, and each code's DigSig (AI 8030)

Revision ID: 0027_signed
Revises: 0026_tlog
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0027_signed"
down_revision: str | None = "0026_tlog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("issuer_id", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("certificate", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("private_sealed", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["code_key.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fingerprint"),
    )
    with op.batch_alter_table("code_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_key_enterprise_id"), ["enterprise_id"], unique=False)
    with op.batch_alter_table("code_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_key_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_code_batch_signing_key_id", "code_key", ["signing_key_id"], ["id"])
    with op.batch_alter_table("trace_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digsig", sqlmodel.sql.sqltypes.AutoString(length=90), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trace_code", schema=None) as batch_op:
        batch_op.drop_column("digsig")
    with op.batch_alter_table("code_batch", schema=None) as batch_op:
        batch_op.drop_constraint("fk_code_batch_signing_key_id", type_="foreignkey")
        batch_op.drop_column("signing_key_id")
    with op.batch_alter_table("code_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_key_enterprise_id"))
    op.drop_table("code_key")
