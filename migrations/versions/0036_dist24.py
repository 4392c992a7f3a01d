"""Intake distribution (issue 24): agencies' subscriptions to accepted records, and the messages owed to
each, sent through the outbox

Revision ID: 0036_dist24
Revises: 0035_settle24
Create Date: 2026-12-07 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db  # noqa: F401 - column types

revision: str = "0036_dist24"
down_revision: str | None = "0035_settle24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "intake_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", Text(length=6), nullable=False),
        sa.Column("name", Text(length=100), nullable=False),
        sa.Column("url", Text(length=2000), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("secret_cipher", Text(length=200), nullable=False),
        sa.Column("status", Text(length=10), nullable=False),
        sa.Column("created_by", Text(length=120), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", Text(length=120), nullable=True),
        sa.Column("revoked_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intake_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_subscription_agency"), ["agency"], unique=False)
    op.create_table(
        "intake_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("message", Text(length=10), nullable=False),
        sa.Column("webhook_id", Text(length=80), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["outbox_event.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["intake_record.id"]),
        sa.ForeignKeyConstraint(["subscription_id"], ["intake_subscription.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "record_id", "message", name="uq_intake_dispatch"),
        sa.UniqueConstraint("webhook_id"),
    )
    with op.batch_alter_table("intake_dispatch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_dispatch_record_id"), ["record_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_intake_dispatch_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_dispatch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_dispatch_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_intake_dispatch_record_id"))
    op.drop_table("intake_dispatch")
    with op.batch_alter_table("intake_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_subscription_agency"))
    op.drop_table("intake_subscription")
