"""EPCIS 2.0: events kept as sent (eventID, original, @context) and capture jobs

Events captured before this revision have no `original`; queries answer their normalised document,
which is what was returned for them before. Non-CBV steps and dispositions are URIs, longer than 40.

Revision ID: 0014_epcis
Revises: 0011_insurance
Create Date: 2026-12-01 00:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0014_epcis"
down_revision: str | None = "0011_insurance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("epcis_event", schema=None) as batch_op:
        batch_op.alter_column(
            "event_type",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=24),
            type_=sqlmodel.sql.sqltypes.AutoString(length=300),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "biz_step",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sqlmodel.sql.sqltypes.AutoString(length=300),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "disposition",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sqlmodel.sql.sqltypes.AutoString(length=300),
            existing_nullable=True,
        )
        batch_op.add_column(
            sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(sa.Column("original", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_epcis_event_event_id"), ["event_id"], unique=False)
    op.create_table(
        "epcis_capture_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("error_behaviour", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("captured", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("capture_id"),
    )
    with op.batch_alter_table("epcis_capture_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_epcis_capture_job_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_epcis_capture_job_enterprise_id"), ["enterprise_id"], unique=False
        )

    _index_items_without_lot()


# An item is GTIN + serial; events captured before this revision indexed it with its lot only.
_ITEM = re.compile(r"^https://id\.gs1\.org/01/([0-9]{14})/(?:22/[^/]+/)?(?:10/[^/]+/)?21/([^/]+)$")


def _index_items_without_lot() -> None:
    conn = op.get_bind()
    epc = sa.table("epcis_event_epc", sa.column("event_id", sa.Integer), sa.column("epc"), sa.column("role"))
    rows = conn.execute(
        sa.select(epc.c.event_id, epc.c.epc, epc.c.role).where(epc.c.epc.like("https://id.gs1.org/01/%/21/%"))
    ).all()
    have = {(r.event_id, r.epc, r.role) for r in rows}
    new = []
    for r in rows:
        m = _ITEM.match(r.epc)
        key = (r.event_id, f"https://id.gs1.org/01/{m[1]}/21/{m[2]}", r.role) if m else None
        if key and key not in have:
            have.add(key)
            new.append({"event_id": key[0], "epc": key[1], "role": key[2]})
    for i in range(0, len(new), 1000):
        conn.execute(epc.insert(), new[i : i + 1000])


def downgrade() -> None:
    with op.batch_alter_table("epcis_capture_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_capture_job_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_epcis_capture_job_created_at"))
    op.drop_table("epcis_capture_job")
    with op.batch_alter_table("epcis_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_event_event_id"))
        batch_op.drop_column("context")
        batch_op.drop_column("original")
        batch_op.drop_column("event_id")
        for column, length in (("event_type", 24), ("biz_step", 40), ("disposition", 40)):
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=300),
                type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                existing_nullable=column != "event_type",
            )
