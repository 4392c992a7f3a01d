"""audit anchor: a keyed chain and signed checkpoints

Entries written before this revision keep their plain SHA-256 hash (scheme 'sha256', the server
default given to every existing row) and verify as they did; entries appended after it are
HMAC-SHA256 under a key held outside the database (scheme 'hmac-sha256'). The first checkpoint signed
after the upgrade anchors the head of the plain-hash entries; every entry after it must be keyed.

Revision ID: 0009_audit_anchor
Revises: 0006_ownership
Create Date: 2026-11-29 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0009_audit_anchor"
down_revision: str | None = "0006_ownership"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scheme", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False, server_default="sha256"
            )
        )
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkpointed_seq", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "audit_checkpoint",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("checkpointed_seq")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("scheme")
