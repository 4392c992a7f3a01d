"""A chunk's writes in a few statements, at the rate of a bulk insert (issue 24's pipeline).

The records' ids are taken in one statement before they are written (SQLite: after the largest, under the
write lock every write transaction takes at BEGIN IMMEDIATE; PostgreSQL: the id sequence's next values), so
the records, their rejections, conflicts and corrections each go as one `executemany` of plain tuples on
the driver, with no ORM object and no per-row parameter processing. The JSON columns are written as JSON
text (orjson; the same JSON the ORM writes, without its spaces), read back as the ORM reads them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from core.db import UtcDateTime

RECORD_COLUMNS = (
    "id",
    "delivery_id",
    "source_id",
    "row_no",
    "kind",
    "fact_key",
    "content_sha256",
    "uscc",
    "name",
    "fields",
    "raw",
    "enterprise_id",
    "match_method",
    "match_score",
    "match_reasons",
    "status",
    "created_at",
    "product_id",  # the three of intake.products, after the record's own
    "lot_line_id",
    "product_link",
)
REJECTED_COLUMNS = ("delivery_id", "row_no", "field", "reason", "raw")
CONFLICT_COLUMNS = (
    "fact_key",
    "field",
    "record_id",
    "other_id",
    "value",
    "other_value",
    "status",
    "created_at",
)


def dumps(value: Any) -> str:
    """JSON text of a column's value (orjson; the standard library for what orjson refuses)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False)


def when(session: Session, moment: datetime) -> Any:
    """A UTC timestamp as the driver takes it for a `UtcDateTime` column (as the ORM would bind it)."""
    process = UtcDateTime().bind_processor(session.get_bind().dialect)
    return process(moment) if process is not None else moment


TABLES = frozenset(("intake_record", "intake_rejected", "intake_conflict", "intake_name_key"))


def new_ids(session: Session, table: str, n: int) -> list[int]:
    """n ids for rows of `table` (an integer `id` key) that this transaction will insert."""
    assert table in TABLES
    if n == 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "sqlite":  # the write lock is held since BEGIN IMMEDIATE: nobody else inserts
        sql = f"SELECT coalesce(max(id), 0) FROM {table}"  # noqa: S608 - one of TABLES
        top = int(conn.exec_driver_sql(sql).scalar_one())
        return list(range(top + 1, top + 1 + n))
    sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)"  # noqa: S608 - one of TABLES
    return [int(r[0]) for r in conn.exec_driver_sql(sql, (n,))]


def insert_many(session: Session, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    assert table in TABLES
    if not rows:
        return
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - TABLES, this module's columns
    conn.exec_driver_sql(sql, rows)


def update_many(session: Session, sql: str, rows: list[tuple]) -> None:
    """`sql` written with `?` placeholders (made `%s` on PostgreSQL)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, rows)
