"""code batches are claimed by one runner under a lease, and resumed when the lease runs out

Revision ID: 0007_batch_lease
Revises: 0009_audit_anchor
Create Date: 2026-11-28 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db  # noqa: F401 - column types

revision: str = "0007_batch_lease"
down_revision: str | None = "0009_audit_anchor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("code_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runner", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column("lease_until", core.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index("ix_code_batch_status_lease", ["status", "lease_until"], unique=False)
    # A batch left running by a release without leases has no runner and no lease: the first sweep
    # after the upgrade finds its lease expired and resumes it.


def downgrade() -> None:
    with op.batch_alter_table("code_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_code_batch_status_lease")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("runner")
