"""One delivery reads an enterprise once: a declaration's inspection with failed lines writes several
records of one enterprise (the declaration, the month's totals, one per failed line), and its builders
share one read of the enterprise's public profile and grade (disclosure.reads.Reads)."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import event as sa_event
from sqlmodel import select

from core.events import Event, OutboxEvent
from disclosure import handlers
from disclosure.models import DisclosureRecord
from tests.traceability.conftest import Flow


def _reads_of(statements: list[str], table: str) -> int:
    found = re.compile(rf'\bFROM "?{table}"?(?!\w)')
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT") and found.search(s))


def test_an_inspection_with_failed_lines_reads_its_enterprise_once(client, db, dispatcher, keys):
    flow = Flow(client, keys)
    decl = flow.declare(flow.product()["id"], lots=("LOTA", "LOTB", "LOTC"))
    flow.inspect(decl, ["pass", "fail", "fail"])
    dispatcher.drain()
    with db.read_session() as s:
        row = s.exec(select(OutboxEvent).where(OutboxEvent.type == "declaration.inspected")).one()
        event = Event(
            row.id, row.type, row.aggregate_type, row.aggregate_id, row.actor, row.payload, row.created_at
        )

    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        statements.append(statement)

    with db.transaction() as s:
        sa_event.listen(db.engine, "before_cursor_execute", note)
        try:
            handlers.operating(s, event)  # delivered again: the same records, read afresh
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", note)
        written = Counter(
            r.record_key.split(":")[1]
            for r in s.exec(
                select(DisclosureRecord).where(DisclosureRecord.enterprise_id == keys.merchant_id)
            )
        )
    assert written["declaration"] == 1 and written["monthly"] == 1 and written["inspection"] == 2, written
    assert _reads_of(statements, "enterprise") == 1, statements
    assert _reads_of(statements, "credit_standing") == 1, statements
