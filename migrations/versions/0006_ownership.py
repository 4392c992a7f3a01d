"""ownership: GTINs registered to one enterprise, and owners' grants to record events

Revision ID: 0006_ownership
Revises: 0005
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db  # noqa: F401 - column types

revision: str = "0006_ownership"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gtin_owner",
        sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("gtin"),
    )
    with op.batch_alter_table("gtin_owner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gtin_owner_enterprise_id"), ["enterprise_id"], unique=False)

    op.create_table(
        "gtin_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("owner_enterprise_id", sa.Integer(), nullable=False),
        sa.Column("grantee_enterprise_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("revoked_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(["grantee_enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["owner_enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gtin_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gtin_grant_gtin"), ["gtin"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_gtin_grant_grantee_enterprise_id"), ["grantee_enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_gtin_grant_owner_enterprise_id"), ["owner_enterprise_id"], unique=False
        )

    # Every GTIN already registered goes to the enterprise that registered it first; a later
    # registrant of the same GTIN keeps its product row but declares no new lot under it until a
    # regulator assigns the GTIN (PUT /api/v1/gtins/{gtin}/owner).
    op.execute(
        "INSERT INTO gtin_owner (gtin, enterprise_id, assigned_at, assigned_by)"
        " SELECT p.gtin, p.enterprise_id, p.created_at, 'migration:0006_ownership' FROM product p"
        " WHERE p.id = (SELECT MIN(q.id) FROM product q WHERE q.gtin = p.gtin)"
    )


def downgrade() -> None:
    with op.batch_alter_table("gtin_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gtin_grant_owner_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_gtin_grant_grantee_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_gtin_grant_gtin"))
    op.drop_table("gtin_grant")
    with op.batch_alter_table("gtin_owner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gtin_owner_enterprise_id"))
    op.drop_table("gtin_owner")
