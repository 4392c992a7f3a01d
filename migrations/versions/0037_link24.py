"""Intake records linked to the products and lots they name (issue 24, item 4), and the conflicts'
indexes on both records

Revision ID: 0037_link24
Revises: 0036_dist24
Create Date: 2026-12-07 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0037_link24"
down_revision: str | None = "0036_dist24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lot_line_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "product_link", sqlmodel.sql.sqltypes.AutoString(length=10), server_default="", nullable=False
            )
        )
        batch_op.create_foreign_key("fk_intake_record_product_id", "product", ["product_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_intake_record_lot_line_id", "declaration_line", ["lot_line_id"], ["id"]
        )
    with op.batch_alter_table("intake_conflict", schema=None) as batch_op:
        batch_op.create_index("ix_intake_conflict_record", ["record_id"], unique=False)
        batch_op.create_index("ix_intake_conflict_other", ["other_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intake_conflict", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_conflict_other")
        batch_op.drop_index("ix_intake_conflict_record")
    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.drop_constraint("fk_intake_record_lot_line_id", type_="foreignkey")
        batch_op.drop_constraint("fk_intake_record_product_id", type_="foreignkey")
        batch_op.drop_column("product_link")
        batch_op.drop_column("lot_line_id")
        batch_op.drop_column("product_id")
