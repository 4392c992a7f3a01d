"""EPCIS subscriptions take the REST binding's remaining fields: signatureToken (sealed like the
secret, which becomes optional), reportIfEmpty, initialRecordTime

Revision ID: 0025_epcis_rest
Revises: 0024_page_sessions
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0025_epcis_rest"
down_revision: str | None = "0024_page_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("epcis_subscription", schema=None) as batch_op:
        batch_op.alter_column(
            "secret_cipher", existing_type=sqlmodel.sql.sqltypes.AutoString(length=1200), nullable=True
        )
        batch_op.add_column(
            sa.Column("signature_token_cipher", sqlmodel.sql.sqltypes.AutoString(length=1200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("report_if_empty", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("initial_record_time", core.db.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # A subscription that has no secret (a signatureToken only) cannot be kept by the older schema.
    op.execute("DELETE FROM epcis_subscription WHERE secret_cipher IS NULL")
    with op.batch_alter_table("epcis_subscription", schema=None) as batch_op:
        batch_op.drop_column("initial_record_time")
        batch_op.drop_column("report_if_empty")
        batch_op.drop_column("signature_token_cipher")
        batch_op.alter_column(
            "secret_cipher", existing_type=sqlmodel.sql.sqltypes.AutoString(length=1200), nullable=False
        )
