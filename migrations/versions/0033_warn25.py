"""When a bound quality-insurance policy's cover ended (issue 25, early warning's lapsed-insurance signal)

`insurance_policy.ended_at`: its period's end when it expired, the moment it was cancelled. Policies that
expired before this revision take their period's end; a policy cancelled before it has no known moment
and stays empty (the warning does not count it).

Revision ID: 0033_warn25
Revises: 0032_agency25
Create Date: 2026-12-07 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0033_warn25"
down_revision: str | None = "0032_agency25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("insurance_policy") as batch:
        batch.add_column(sa.Column("ended_at", core.db.UtcDateTime(), nullable=True))
        batch.create_index("ix_insurance_policy_ended_at", ["ended_at"], unique=False)
    op.execute(
        "UPDATE insurance_policy SET ended_at = ends_at WHERE status = 'expired' AND bound_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("insurance_policy") as batch:
        batch.drop_index("ix_insurance_policy_ended_at")
        batch.drop_column("ended_at")
