"""Intake deliveries sent over HTTP are imported in the background (issue 24): a delivery's heartbeat
(received, or a chunk committed) tells the resume sweep which importer died

Revision ID: 0040_resume24
Revises: 0039_catchup24
Create Date: 2026-12-07 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0040_resume24"
down_revision: str | None = "0039_catchup24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_delivery") as t:
        t.add_column(sa.Column("heartbeat_at", core.db.UtcDateTime(timezone=True), nullable=True))
    op.create_index("ix_intake_delivery_status_heartbeat", "intake_delivery", ["status", "heartbeat_at"])


def downgrade() -> None:
    op.drop_index("ix_intake_delivery_status_heartbeat", table_name="intake_delivery")
    with op.batch_alter_table("intake_delivery") as t:
        t.drop_column("heartbeat_at")
