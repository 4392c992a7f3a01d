"""A code's batch and line are checked once per statement, not once per row: trace_code's two foreign
keys become triggers; and the scan spool's table of written segments (issue 22)

PostgreSQL checks a foreign key with one query per inserted row, which was half of issuance's time
(`scripts/bench/bench_issue_pg.py`). The keys are replaced, on both databases, by a stricter rule the
database still enforces for every writer: a code's (batch_id, line_id) must be an existing batch *of that
line* (so a code can never point to a missing batch or line, nor pair one enterprise's batch with another's
line), and a batch that has codes can be neither deleted nor moved to another line.

- PostgreSQL: one statement-level trigger per INSERT (or COPY) over its transition table, which takes the
  batches' key-share locks as a foreign key would; row triggers for the rare UPDATE and DELETE.
- SQLite: row triggers (SQLite's foreign key was a per-row check too; writes are one at a time).

Revision ID: 0031_pg22
Revises: 0030_credit25b
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "0031_pg22"
down_revision: str | None = "0030_credit25b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_POSTGRESQL = [
    """
CREATE FUNCTION trace_code_keys_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  -- As a foreign key would: the batches cannot go away until this transaction ends.
  PERFORM 1 FROM code_batch b WHERE b.id IN (SELECT DISTINCT batch_id FROM new_codes) FOR KEY SHARE OF b;
  SELECT n.batch_id, n.line_id INTO bad FROM (SELECT DISTINCT batch_id, line_id FROM new_codes) n
   WHERE NOT EXISTS (SELECT 1 FROM code_batch b WHERE b.id = n.batch_id AND b.line_id = n.line_id) LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING MESSAGE = 'a code must point to an existing code batch of its own declaration line',
      DETAIL = format('batch_id %s, line_id %s', bad.batch_id, bad.line_id), TABLE = 'trace_code';
  END IF;
  RETURN NULL;
END $$
""",
    "CREATE TRIGGER trace_code_keys_inserted AFTER INSERT ON trace_code REFERENCING NEW TABLE AS new_codes"
    " FOR EACH STATEMENT EXECUTE FUNCTION trace_code_keys_inserted()",
    """
CREATE FUNCTION trace_code_keys_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM code_batch b WHERE b.id = NEW.batch_id AND b.line_id = NEW.line_id FOR KEY SHARE OF b;
  IF NOT FOUND THEN
    RAISE foreign_key_violation USING MESSAGE = 'a code must point to an existing code batch of its own declaration line',
      DETAIL = format('batch_id %s, line_id %s', NEW.batch_id, NEW.line_id), TABLE = 'trace_code';
  END IF;
  RETURN NULL;
END $$
""",
    "CREATE TRIGGER trace_code_keys_updated AFTER UPDATE OF batch_id, line_id ON trace_code FOR EACH ROW"
    " WHEN (OLD.batch_id IS DISTINCT FROM NEW.batch_id OR OLD.line_id IS DISTINCT FROM NEW.line_id)"
    " EXECUTE FUNCTION trace_code_keys_updated()",
    # AFTER, so that a delete that waited for a concurrent COPY's transaction sees its codes.
    """
CREATE FUNCTION code_batch_keys_held() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF EXISTS (SELECT 1 FROM trace_code) THEN
      RAISE foreign_key_violation USING MESSAGE = 'a code batch that has codes cannot be deleted or moved to another line', TABLE = 'code_batch';
    END IF;
  ELSIF EXISTS (SELECT 1 FROM trace_code WHERE batch_id = OLD.id) THEN
    RAISE foreign_key_violation USING MESSAGE = 'a code batch that has codes cannot be deleted or moved to another line',
      DETAIL = format('batch_id %s', OLD.id), TABLE = 'code_batch';
  END IF;
  RETURN NULL;
END $$
""",
    "CREATE TRIGGER code_batch_keys_deleted AFTER DELETE ON code_batch FOR EACH ROW"
    " EXECUTE FUNCTION code_batch_keys_held()",
    "CREATE TRIGGER code_batch_keys_updated AFTER UPDATE OF id, line_id ON code_batch FOR EACH ROW"
    " WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.line_id IS DISTINCT FROM NEW.line_id)"
    " EXECUTE FUNCTION code_batch_keys_held()",
    # A TRUNCATE of the batches that leaves codes behind (AFTER: a TRUNCATE of both tables is fine).
    "CREATE TRIGGER code_batch_keys_truncated AFTER TRUNCATE ON code_batch FOR EACH STATEMENT"
    " EXECUTE FUNCTION code_batch_keys_held()",
]

_SQLITE = [
    "CREATE TRIGGER trace_code_keys_inserted BEFORE INSERT ON trace_code WHEN NOT EXISTS"
    " (SELECT 1 FROM code_batch WHERE id = NEW.batch_id AND line_id = NEW.line_id)"
    " BEGIN SELECT RAISE(ABORT, 'a code must point to an existing code batch of its own declaration line'); END",
    "CREATE TRIGGER trace_code_keys_updated BEFORE UPDATE OF batch_id, line_id ON trace_code WHEN NOT EXISTS"
    " (SELECT 1 FROM code_batch WHERE id = NEW.batch_id AND line_id = NEW.line_id)"
    " BEGIN SELECT RAISE(ABORT, 'a code must point to an existing code batch of its own declaration line'); END",
    "CREATE TRIGGER code_batch_keys_deleted BEFORE DELETE ON code_batch WHEN EXISTS"
    " (SELECT 1 FROM trace_code WHERE batch_id = OLD.id) BEGIN SELECT RAISE(ABORT, 'a code batch that has codes cannot be deleted or moved to another line'); END",
    "CREATE TRIGGER code_batch_keys_updated BEFORE UPDATE OF id, line_id ON code_batch"
    " WHEN (NEW.id IS NOT OLD.id OR NEW.line_id IS NOT OLD.line_id)"
    " AND EXISTS (SELECT 1 FROM trace_code WHERE batch_id = OLD.id) BEGIN SELECT RAISE(ABORT, 'a code batch that has codes cannot be deleted or moved to another line'); END",
]

_TRIGGERS = [
    ("trace_code", "trace_code_keys_inserted"),
    ("trace_code", "trace_code_keys_updated"),
    ("code_batch", "code_batch_keys_deleted"),
    ("code_batch", "code_batch_keys_updated"),
    ("code_batch", "code_batch_keys_truncated"),
]
_FUNCTIONS = ["trace_code_keys_inserted", "trace_code_keys_updated", "code_batch_keys_held"]


def _trace_code(*, keys: bool) -> sa.Table:
    """trace_code as 0027 left it, with or without its two foreign keys (SQLite's table copy)."""
    string = sqlmodel.sql.sqltypes.AutoString
    return sa.Table(
        "trace_code",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", string(length=20), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("status", string(length=10), server_default="active", nullable=False),
        sa.Column("status_reason", string(length=500), server_default="", nullable=False),
        sa.Column("last_biz_step", string(length=40), nullable=True),
        sa.Column("last_event_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sold_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("scan_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_scan_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_scan_place", string(length=80), server_default="", nullable=False),
        sa.Column("last_scan_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_scan_lat", sa.Float(), nullable=True),
        sa.Column("last_scan_lon", sa.Float(), nullable=True),
        sa.Column("digsig", string(length=90), nullable=True),
        *(
            [
                sa.ForeignKeyConstraint(["batch_id"], ["code_batch.id"]),
                sa.ForeignKeyConstraint(["line_id"], ["declaration_line.id"]),
            ]
            if keys
            else []
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial"),
        sa.Index("ix_trace_code_batch_id", "batch_id"),
    )


def _postgresql_keys() -> list[str]:
    return [
        fk["name"]
        for fk in sa.inspect(op.get_bind()).get_foreign_keys("trace_code")
        if fk["referred_table"] in ("code_batch", "declaration_line")
    ]


def upgrade() -> None:
    # The scan spool's written segments (traceability.scan_spool).
    op.create_table(
        "scan_spool_done",
        sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.PrimaryKeyConstraint("segment"),
    )
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("trace_code", recreate="always", copy_from=_trace_code(keys=False)):
            pass
        for statement in _SQLITE:
            op.execute(statement)
        return
    for name in _postgresql_keys():
        op.drop_constraint(name, "trace_code", type_="foreignkey")
    for statement in _POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("scan_spool_done")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, trigger in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + ("" if sqlite else f" ON {table}"))
    if sqlite:
        with op.batch_alter_table("trace_code", recreate="always", copy_from=_trace_code(keys=True)):
            pass
        return
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    op.create_foreign_key("trace_code_batch_id_fkey", "trace_code", "code_batch", ["batch_id"], ["id"])
    op.create_foreign_key("trace_code_line_id_fkey", "trace_code", "declaration_line", ["line_id"], ["id"])
