"""EPCIS named queries and their webhook subscriptions; GS1's canonical event hash beside each event

The canonical hash of events captured before this revision is computed here from what was kept
(`original`, or the normalised `document` of events from before 0014).

Revision ID: 0023_epcis_queries
Revises: 0022_export_attempts
Create Date: 2026-11-29 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0023_epcis_queries"
down_revision: str | None = "0022_export_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("epcis_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("canonical_hash", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_epcis_event_canonical_hash"), ["canonical_hash"], unique=False)
    op.create_table(
        "epcis_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner", "name", name="uq_epcis_query_owner_name"),
    )
    op.create_index(op.f("ix_epcis_query_owner"), "epcis_query", ["owner"], unique=False)
    op.create_table(
        "epcis_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("dest", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("secret_cipher", sqlmodel.sql.sqltypes.AutoString(length=1200), nullable=False),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["query_id"], ["epcis_query.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id"),
    )
    op.create_index(op.f("ix_epcis_subscription_query_id"), "epcis_subscription", ["query_id"], unique=False)
    _backfill()


def _backfill() -> None:
    # The hash as the code computes it today; an event it cannot hash keeps None (still found by eventID).
    from traceability.event_hash import canonical_hash

    conn = op.get_bind()
    table = sa.table(
        "epcis_event",
        sa.column("id", sa.Integer()),
        sa.column("document", sa.JSON()),
        sa.column("original", sa.JSON()),
        sa.column("context", sa.JSON()),
        sa.column("canonical_hash", sa.String()),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.document, table.c.original, table.c.context)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        for row in rows:
            try:
                value = canonical_hash(row.original or row.document, row.context)
            except ValueError:
                value = None
            conn.execute(sa.update(table).where(table.c.id == row.id).values(canonical_hash=value))
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index(op.f("ix_epcis_subscription_query_id"), table_name="epcis_subscription")
    op.drop_table("epcis_subscription")
    op.drop_index(op.f("ix_epcis_query_owner"), table_name="epcis_query")
    op.drop_table("epcis_query")
    with op.batch_alter_table("epcis_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_event_canonical_hash"))
        batch_op.drop_column("canonical_hash")
