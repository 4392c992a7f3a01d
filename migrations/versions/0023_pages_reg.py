"""The suspicious-scan feed: a partial index on the scans judged suspicious

Revision ID: 0023_pages_reg
Revises: 0023_epcis_queries
Create Date: 2026-11-29 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_pages_reg"
down_revision: str | None = "0023_epcis_queries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUSPICIOUS = sa.text("verdict = 'suspicious'")


def upgrade() -> None:
    # Only the suspicious scans (a few in a thousand) are indexed: the feed reads no genuine scan, and
    # the scan writer's inserts of every other verdict do not touch it.
    op.create_index(
        "ix_scan_record_suspicious",
        "scan_record",
        ["id"],
        unique=False,
        sqlite_where=SUSPICIOUS,
        postgresql_where=SUSPICIOUS,
    )


def downgrade() -> None:
    op.drop_index("ix_scan_record_suspicious", table_name="scan_record")
