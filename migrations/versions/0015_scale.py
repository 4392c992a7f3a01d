"""many processes: scheduled runs claimed once (job_run), shared cache generations, shared rate buckets,
export jobs under a lease (a process starting no longer fails another live process's export)

Revision ID: 0015_scale
Revises: 0021_transfer_ref
Create Date: 2026-11-29 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db  # noqa: F401 - column types

revision: str = "0015_scale"
down_revision: str | None = "0021_transfer_ref"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.PrimaryKeyConstraint("job", "period"),
    )
    op.create_table(
        "shared_generation",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "rate_bucket",
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # A bucket is worth nothing after a crash: no write-ahead log for the hottest table there is.
        op.execute("ALTER TABLE rate_bucket SET UNLOGGED")
        # Updated on every public request: leave room on each page for HOT updates.
        op.execute("ALTER TABLE rate_bucket SET (fillfactor = 50)")
    with op.batch_alter_table("export_job") as batch:
        # NULL for jobs written before: a running one of those is treated as cut off.
        batch.add_column(sa.Column("lease_until", core.db.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("export_job") as batch:
        batch.drop_column("lease_until")
    op.drop_table("rate_bucket")
    op.drop_table("shared_generation")
    op.drop_table("job_run")
