"""Intake subscriptions catch up (issue 24, item 5): a subscription may ask for the active records
accepted since a date, sent in chunks after it is created; `since` is that date

Revision ID: 0039_catchup24
Revises: 0038_scan21b
Create Date: 2026-12-07 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0039_catchup24"
down_revision: str | None = "0038_scan21b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_subscription") as t:
        t.add_column(sa.Column("since", core.db.UtcDateTime(timezone=True), nullable=True))
    op.create_index("ix_intake_record_kind_status", "intake_record", ["kind", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_intake_record_kind_status", table_name="intake_record")
    with op.batch_alter_table("intake_subscription") as t:
        t.drop_column("since")
