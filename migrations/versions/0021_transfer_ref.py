"""Complaint transfers received from another agency keep that agency's case number

Revision ID: 0021_transfer_ref
Revises: 0014_epcis
Create Date: 2026-11-29 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_transfer_ref"
down_revision: str | None = "0014_epcis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_ref", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index("ix_complaint_transfer_source", ["from_region", "source_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaint_transfer", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_transfer_source")
        batch_op.drop_column("source_ref")
