"""Shared by the issuance tests: a released declaration built through the services, and the invariant
that must hold between reservations, batches and codes after anything (a crash, a restart, a race)."""

from __future__ import annotations

import itertools
from collections import Counter

from sqlalchemy import func, text
from sqlmodel import select

from api import seeding
from core import audit
from core.db import Database
from tests.conftest import register
from traceability.codes import gtin_with_check
from traceability.models import BatchStatus, CodeBatch, DeclarationLine, TraceCode

RESOLVER = "http://127.0.0.1:8000"
_numbers = itertools.count(1)


def released_lines(db: Database, quantities: list[int]) -> tuple[int, int]:
    """A merchant's released declaration with one passed line per quantity: (enterprise id, declaration id)."""
    ent = register(db)
    n = next(_numbers)
    with db.transaction() as s:
        released = seeding.released_declaration(
            s,
            ent.id,
            RESOLVER,
            gtin=gtin_with_check(f"400123{n:06d}"),
            declaration_no=f"31052026{n:010d}",
            lots=[(f"L{n}X{i}", q) for i, q in enumerate(quantities, start=1)],
        )
        return ent.id, released.declaration_id


def check_invariant(db: Database) -> dict[int, dict]:
    """Assert, in one consistent snapshot, what a merchant and a regulator rely on:

    - a line's reservation is the sum of the quantities of its running and done batches, never more
      than the line's quantity, and at least the codes that exist for it;
    - the codes of a line's running and done batches never exceed its quantity;
    - a done batch has exactly its quantity of codes, a failed one none, a running one as many as it
      says it has issued (and never more than its quantity);
    - the audit ledger is intact.

    Returns per line: quantity, reserved, codes of done batches, codes of running batches."""
    with db.read_session() as s:
        if not db.is_sqlite:
            s.connection().exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        else:
            s.connection()  # SQLite: the read transaction is a snapshot from its first read
        lines = {ln.id: ln for ln in s.exec(select(DeclarationLine))}
        batches = list(s.exec(select(CodeBatch)))
        codes = Counter(
            dict(s.exec(select(TraceCode.batch_id, func.count()).group_by(TraceCode.batch_id)).all())
        )
        orphans = s.exec(
            text(
                "SELECT count(*) FROM trace_code c LEFT JOIN code_batch b ON b.id = c.batch_id WHERE b.id IS NULL"
            )
        ).one()[0]
        findings = audit.verify(s)
    assert orphans == 0
    summary: dict[int, dict] = {}
    for line in lines.values():
        mine = [b for b in batches if b.line_id == line.id]
        live = [b for b in mine if b.status in (BatchStatus.running, BatchStatus.done)]
        done = sum(codes[b.id] for b in mine if b.status == BatchStatus.done)
        running = sum(codes[b.id] for b in mine if b.status == BatchStatus.running)
        where = f"line {line.id}: {[(b.id, b.status, b.quantity, codes[b.id]) for b in mine]}"
        assert line.codes_reserved == sum(b.quantity for b in live), where
        assert line.codes_reserved <= line.quantity, where
        assert done + running <= line.quantity, where
        assert line.codes_reserved >= sum(codes[b.id] for b in mine), where
        summary[line.id] = {
            "quantity": line.quantity,
            "reserved": line.codes_reserved,
            "done": done,
            "running": running,
        }
    for b in batches:
        assert codes[b.id] <= b.quantity, (b.id, b.status, codes[b.id], b.quantity)
        if b.status == BatchStatus.done:
            assert codes[b.id] == b.quantity, (b.id, "done with", codes[b.id], "of", b.quantity)
        elif b.status == BatchStatus.failed:
            assert codes[b.id] == 0 and b.issued == 0, (b.id, "failed but has", codes[b.id])
        else:
            assert b.status == BatchStatus.running, b.status
            assert b.issued == codes[b.id], (b.id, "says", b.issued, "has", codes[b.id])
    assert findings == [], findings
    return summary
