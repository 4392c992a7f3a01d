"""Supervision draws mark the declarations they select (supervision_selection)

The draws published before this revision are read back into it, so that a declaration one of them
selected shows it too.

Revision ID: 0018_draw
Revises: 0015_scale
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0018_draw"
down_revision: str | None = "0015_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    selection = op.create_table(
        "supervision_selection",
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("declaration_no", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("inspector", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("drawn_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["supervision_draw.id"]),
        sa.PrimaryKeyConstraint("draw_id", "declaration_no"),
    )
    op.create_index(
        op.f("ix_supervision_selection_declaration_no"), "supervision_selection", ["declaration_no"]
    )
    draws = sa.table(
        "supervision_draw",
        sa.column("id", sa.Integer()),
        sa.column("drawn_at", core.db.UtcDateTime(timezone=True)),
        sa.column("selected", sa.JSON()),
    )
    rows = [
        {
            "draw_id": d.id,
            "declaration_no": s["declaration_no"],
            "inspector": s["inspector"][:120],
            "grade": s["grade"],
            "drawn_at": d.drawn_at,
        }
        for d in op.get_bind().execute(sa.select(draws.c.id, draws.c.drawn_at, draws.c.selected))
        for s in d.selected or []
    ]
    if rows:
        op.bulk_insert(selection, rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_supervision_selection_declaration_no"), table_name="supervision_selection")
    op.drop_table("supervision_selection")
