"""Scan summaries in their own table (issue 21 item 9): `scan_summary`, one row per code scanned at least
once, instead of six columns on every row of `trace_code`

Revision ID: 0038_scan21b
Revises: 0037_link24
Create Date: 2026-12-07 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0038_scan21b"
down_revision: str | None = "0037_link24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "scan_count, first_scan_at, first_scan_place, last_scan_at, last_scan_lat, last_scan_lon"


def upgrade() -> None:
    op.create_table(
        "scan_summary",
        sa.Column("code_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("scan_count", sa.Integer(), nullable=False),
        sa.Column("first_scan_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_scan_place", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("last_scan_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_scan_lat", sa.Float(), nullable=True),
        sa.Column("last_scan_lon", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["code_id"], ["trace_code.id"]),
        sa.PrimaryKeyConstraint("code_id"),
    )
    op.execute(
        f"INSERT INTO scan_summary (code_id, {_COLUMNS}) SELECT id, {_COLUMNS} FROM trace_code"  # noqa: S608 - constant names
        " WHERE scan_count > 0 OR first_scan_at IS NOT NULL OR last_scan_at IS NOT NULL"
    )
    for column in _COLUMNS.split(", "):
        op.execute(f"ALTER TABLE trace_code DROP COLUMN {column}")


def downgrade() -> None:
    op.add_column("trace_code", sa.Column("scan_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("trace_code", sa.Column("first_scan_at", core.db.UtcDateTime(timezone=True), nullable=True))
    op.add_column(
        "trace_code",
        sa.Column(
            "first_scan_place", sqlmodel.sql.sqltypes.AutoString(length=80), server_default="", nullable=False
        ),
    )
    op.add_column("trace_code", sa.Column("last_scan_at", core.db.UtcDateTime(timezone=True), nullable=True))
    op.add_column("trace_code", sa.Column("last_scan_lat", sa.Float(), nullable=True))
    op.add_column("trace_code", sa.Column("last_scan_lon", sa.Float(), nullable=True))
    for column in _COLUMNS.split(", "):
        op.execute(
            f"UPDATE trace_code SET {column} = (SELECT s.{column} FROM scan_summary s"  # noqa: S608 - constant names
            " WHERE s.code_id = trace_code.id) WHERE id IN (SELECT code_id FROM scan_summary)"
        )
    op.drop_table("scan_summary")
