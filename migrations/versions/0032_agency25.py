"""A regulator key names its agency (issue 25, item 8): api_key.agency, a GB/T 2260 division code.
Regulator keys issued before it act for the bonded zone's own agency (330206), as they did in effect.

Revision ID: 0032_agency25
Revises: 0031_pg22
Create Date: 2026-12-07 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0032_agency25"
down_revision: str | None = "0031_pg22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True))
    op.execute("UPDATE api_key SET agency = '330206' WHERE role = 'regulator'")


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("agency")
