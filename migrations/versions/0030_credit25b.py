"""Credit (issue 25, items 5-8): authorised sharing of a merchant's credit report with a bank or insurer
(授权即达) and every read under it; social supervision (社会共治): reporters and their reports

Revision ID: 0030_credit25b
Revises: 0029_tlog23
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0030_credit25b"
down_revision: str | None = "0029_tlog23"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = core.db.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "credit_authorisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("scope", _S(length=24), nullable=False),
        sa.Column("purpose", _S(length=200), nullable=False),
        sa.Column("starts_at", _T(timezone=True), nullable=False),
        sa.Column("ends_at", _T(timezone=True), nullable=False),
        sa.Column("created_at", _T(timezone=True), nullable=False),
        sa.Column("created_by", _S(length=120), nullable=False),
        sa.Column("revoked_at", _T(timezone=True), nullable=True),
        sa.Column("revoked_by", _S(length=120), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_authorisation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_authorisation_pair", ["enterprise_id", "institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_authorisation_institution_id"), ["institution_id"], unique=False
        )
    op.create_table(
        "credit_share_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorisation_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("actor", _S(length=120), nullable=False),
        sa.Column("read_at", _T(timezone=True), nullable=False),
        sa.Column("digest", _S(length=64), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["authorisation_id"], ["credit_authorisation.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_share_read", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_share_read_enterprise_time", ["enterprise_id", "read_at"], unique=False
        )

    op.create_table(
        "credit_reporter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", _S(length=16), nullable=False),
        sa.Column("token_hash", _S(length=64), nullable=False),
        sa.Column("consented_at", _T(timezone=True), nullable=False),
        sa.Column("effective", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pseudonym"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "credit_tipoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("category", _S(length=32), nullable=False),
        sa.Column("narrative", _S(length=2000), nullable=False),
        sa.Column("evidence_url", _S(length=300), nullable=False),
        sa.Column("fingerprint", _S(length=64), nullable=False),
        sa.Column("status", _S(length=16), nullable=False),
        sa.Column("created_at", _T(timezone=True), nullable=False),
        sa.Column("decided_at", _T(timezone=True), nullable=True),
        sa.Column("decided_by", _S(length=120), nullable=False),
        sa.Column("decision_reason", _S(length=2000), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["credit_record.id"]),
        sa.ForeignKeyConstraint(["reporter_id"], ["credit_reporter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_tipoff", schema=None) as batch_op:
        batch_op.create_index("ix_credit_tipoff_reporter_time", ["reporter_id", "created_at"], unique=False)
        batch_op.create_index("ix_credit_tipoff_status_time", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_tipoff_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_tipoff_fingerprint"), ["fingerprint"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_tipoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_tipoff_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_credit_tipoff_enterprise_id"))
        batch_op.drop_index("ix_credit_tipoff_status_time")
        batch_op.drop_index("ix_credit_tipoff_reporter_time")
    op.drop_table("credit_tipoff")
    op.drop_table("credit_reporter")
    with op.batch_alter_table("credit_share_read", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_share_read_enterprise_time")
    op.drop_table("credit_share_read")
    with op.batch_alter_table("credit_authorisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_authorisation_institution_id"))
        batch_op.drop_index("ix_credit_authorisation_pair")
    op.drop_table("credit_authorisation")
