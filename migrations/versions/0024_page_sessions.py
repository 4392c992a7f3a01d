"""Page sessions held on the server: signing out, signing out everywhere and revoking a key end them

Revision ID: 0024_page_sessions
Revises: 0023_pages_reg
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0024_page_sessions"
down_revision: str | None = "0023_pages_reg"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_key.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("page_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_session_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_session_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    # The cookies of sessions signed in before the downgrade name rows that no longer exist: those
    # browsers sign in again, which is what ending every session means.
    with op.batch_alter_table("page_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_session_expires_at"))
        batch_op.drop_index(batch_op.f("ix_page_session_key_id"))
    op.drop_table("page_session")
