"""Intake's name keys of the enterprises (`intake_name_key`, filled by the pipeline at each delivery's
start), and facts of an enterprise keyed by the enterprise they were linked to (issue 24, compare after associate):
an active record of a mapping whose key names the enterprise (customs credit class, tax grade A, business
lists) gets the key `intake.mapping.Mapping.fact_key` gives a linked record, `<kind>:@<enterprise id>|
<subject>`, so later deliveries meet it whichever identifier they write. The mappings' keys as they were
shipped at this revision (a migration does not read the live mapping files).

Revision ID: 0041_assoc24
Revises: 0040_resume24
Create Date: 2026-12-07 06:10:00.000000
"""

import json
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0041_assoc24"
down_revision: str | None = "0040_resume24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kind -> (the key as shipped, its fields that are not the enterprise's identifiers)
_KEYS = {
    "customs_credit": (("uscc",), ()),
    "tax_grade_a": (("uscc", "year"), ("year",)),
    "business_list": (("uscc", "list", "listed_on"), ("list", "listed_on")),
}
_BATCH = 5000


def _linked() -> Iterator[list[tuple[int, str, int, dict]]]:
    conn = op.get_bind()
    after = 0
    stmt = sa.text(
        "SELECT id, kind, enterprise_id, fields FROM intake_record WHERE id > :after AND kind IN"
        " ('customs_credit', 'tax_grade_a', 'business_list') AND status = 'active'"
        " AND enterprise_id IS NOT NULL ORDER BY id LIMIT :n"
    )
    while rows := list(conn.execute(stmt, {"after": after, "n": _BATCH})):
        after = rows[-1][0]
        yield [(rid, kind, eid, json.loads(f) if isinstance(f, str) else f) for rid, kind, eid, f in rows]


def _rekey(linked: bool) -> None:
    conn = op.get_bind()
    update = sa.text("UPDATE intake_record SET fact_key = :key WHERE id = :id")
    for batch in _linked():
        changes = []
        for rid, kind, eid, fields in batch:
            key, subject = _KEYS[kind]
            if linked:
                new = f"{kind}:@{eid}|" + "|".join(str(fields.get(k, "")) for k in subject)
            else:
                new = kind + ":" + "|".join(str(fields.get(k, "")) for k in key)
            changes.append({"key": new[:200], "id": rid})
        conn.execute(update, changes)


def upgrade() -> None:
    op.create_table(
        "intake_name_key",
        sa.Column("enterprise_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("core", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("enterprise_id"),
    )
    op.create_index("ix_intake_name_key_name_key", "intake_name_key", ["name_key"])
    op.create_index("ix_intake_name_key_core", "intake_name_key", ["core"])
    _rekey(linked=True)


def downgrade() -> None:
    _rekey(linked=False)
    op.drop_index("ix_intake_name_key_core", table_name="intake_name_key")
    op.drop_index("ix_intake_name_key_name_key", table_name="intake_name_key")
    op.drop_table("intake_name_key")
