"""Credit pledges (信用承诺), tolerances (容错纠错), joint measures' notices and coaching plans and tasks

Revision ID: 0028_credit25a
Revises: 0027_signed
Create Date: 2026-12-06 20:46:23.886502
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db  # noqa: F401 - column types

revision: str = "0028_credit25a"
down_revision: str | None = "0027_signed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_coaching_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("opened_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("grade_at_start", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("score_at_start", sa.Float(), nullable=False),
        sa.Column("target_grade", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("diagnosis", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("restored_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_coaching_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_coaching_plan_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "credit_measure_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("list_name", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("reason_zh", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("reason_en", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("issued_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("body_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("delivered_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    with op.batch_alter_table("credit_measure_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_measure_notice_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "credit_coaching_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("title_zh", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("title_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("due_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("report", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("reported_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("confirmed_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["credit_coaching_plan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_record.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_coaching_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_coaching_task_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_coaching_task_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "credit_pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("procedure", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("obligations_zh", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("obligations_en", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("statement_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seal", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("seal_key_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signed_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("signed_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("broken_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("breach_severity", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("breach_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("bars_until", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("grade_before", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("grade_after", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_record.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_pledge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_pledge_enterprise_id"), ["enterprise_id"], unique=False)

    op.create_table(
        "credit_tolerance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("opened_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("correct_by", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("correction", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("submitted_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("decided_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("grade_counted", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("grade_tolerated", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("score_counted", sa.Float(), nullable=False),
        sa.Column("score_tolerated", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"],
            ["credit_pledge.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_record.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("credit_tolerance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_tolerance_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_tolerance_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_tolerance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_tolerance_status"))
        batch_op.drop_index(batch_op.f("ix_credit_tolerance_enterprise_id"))

    op.drop_table("credit_tolerance")
    with op.batch_alter_table("credit_pledge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_pledge_enterprise_id"))

    op.drop_table("credit_pledge")
    with op.batch_alter_table("credit_coaching_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_coaching_task_plan_id"))
        batch_op.drop_index(batch_op.f("ix_credit_coaching_task_enterprise_id"))

    op.drop_table("credit_coaching_task")
    with op.batch_alter_table("credit_measure_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_measure_notice_enterprise_id"))

    op.drop_table("credit_measure_notice")
    with op.batch_alter_table("credit_coaching_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_coaching_plan_enterprise_id"))

    op.drop_table("credit_coaching_plan")
