"""A code can never point to a missing batch or line, nor pair one enterprise's batch with another's line,
and a batch with codes cannot go away: on SQLite and PostgreSQL, through the ORM, raw SQL and the
issuance path's COPY (trace_code's keys are triggers since 0028, checked once per statement)."""

from __future__ import annotations

import sqlite3
import threading
import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.security import SYSTEM
from traceability import batches
from traceability import service as trace
from traceability.codes import Keyring
from traceability.models import CodeBatch, DeclarationLine, TraceCode

from .issuance import RESOLVER, released_lines

KEYRING = Keyring.from_secret(b"code-keys-test")


def issued(db, quantity: int = 3) -> CodeBatch:
    """A done batch of `quantity` codes of a new merchant's released line."""
    _, decl = released_lines(db, [quantity])
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl, 1, quantity, KEYRING, SYSTEM)
    return trace.run_batch(db, batch.id, KEYRING, RESOLVER, runner=batch.runner)


def insert(db, serial: str, line_id: int, batch_id: int) -> None:
    with db.transaction() as s:
        s.execute(
            text("INSERT INTO trace_code (serial, line_id, batch_id) VALUES (:s, :l, :b)"),
            {"s": serial, "l": line_id, "b": batch_id},
        )


def codes(db) -> int:
    with db.read_session() as s:
        return len(s.exec(select(TraceCode.id)).all())


def test_a_code_needs_an_existing_batch_of_its_own_line(db):
    mine, theirs = issued(db), issued(db)
    before = codes(db)
    # The happy path first, so that the refusals below are about the keys and nothing else.
    insert(db, "OKSERIAL1", mine.line_id, mine.id)
    for line_id, batch_id in [
        (mine.line_id, 999_999),  # no such batch
        (999_999, mine.id),  # no such line
        (theirs.line_id, mine.id),  # another enterprise's line with my batch
        (mine.line_id, theirs.id),  # my line with another enterprise's batch
    ]:
        with pytest.raises(IntegrityError, match="existing code batch of its own declaration line"):
            insert(db, "BADSERIAL", line_id, batch_id)
    assert codes(db) == before + 1


def test_a_code_cannot_be_moved_to_another_enterprises_batch(db):
    mine, theirs = issued(db), issued(db)
    with db.transaction() as s:
        code = s.exec(select(TraceCode).where(TraceCode.batch_id == mine.id)).first()
        code_id = code.id
    with pytest.raises(IntegrityError, match="existing code batch"), db.transaction() as s:
        s.execute(text("UPDATE trace_code SET batch_id = :b WHERE id = :i"), {"b": theirs.id, "i": code_id})
    # Moving both to the other line's batch is a consistent pair: allowed, as a key would allow it.
    with db.transaction() as s:
        s.execute(
            text("UPDATE trace_code SET batch_id = :b, line_id = :l WHERE id = :i"),
            {"b": theirs.id, "l": theirs.line_id, "i": code_id},
        )
    # Updates of the item's own state touch neither column: no check runs, nothing is refused.
    with db.transaction() as s:
        s.execute(
            text("UPDATE trace_code SET last_biz_step = 'retail_selling' WHERE id = :i"), {"i": code_id}
        )


def test_a_batch_with_codes_can_neither_go_nor_move(db):
    full, other = issued(db), issued(db)
    with pytest.raises(IntegrityError, match="cannot be deleted or moved"), db.transaction() as s:
        s.execute(text("DELETE FROM code_batch WHERE id = :b"), {"b": full.id})
    with pytest.raises(IntegrityError, match="cannot be deleted or moved"), db.transaction() as s:
        s.execute(
            text("UPDATE code_batch SET line_id = :l WHERE id = :b"), {"l": other.line_id, "b": full.id}
        )
    # Without its codes the batch can go (as the foreign key allowed).
    with db.transaction() as s:
        s.execute(text("DELETE FROM trace_code WHERE batch_id = :b"), {"b": full.id})
        s.execute(text("DELETE FROM code_batch WHERE id = :b"), {"b": full.id})
        assert s.get(CodeBatch, full.id) is None
        assert s.get(DeclarationLine, full.line_id) is not None


def test_the_issuance_copy_is_checked_too(db):
    """The path issuance takes (COPY on PostgreSQL, executemany on SQLite) is refused as a whole."""
    mine, theirs = issued(db), issued(db)
    before = codes(db)
    rows = [(f"CHUNK{i:04d}", mine.line_id, mine.id, None) for i in range(500)]
    rows[250] = ("CHUNK0250", theirs.line_id, mine.id, None)
    # The bulk insert runs below SQLAlchemy; the driver's own error is raised as SQLAlchemy's.
    with pytest.raises(IntegrityError, match="existing code batch") as refused, db.transaction() as s:
        batches._insert_chunk(s, rows)  # noqa: SLF001 - the bulk insert itself
    assert isinstance(refused.value.orig, sqlite3.IntegrityError | psycopg.errors.IntegrityError)
    assert codes(db) == before


def test_a_truncate_of_the_batches_alone_is_refused(postgres_db):
    issued(postgres_db)
    with pytest.raises(IntegrityError, match="cannot be deleted"), postgres_db.transaction() as s:
        s.execute(text("TRUNCATE code_batch CASCADE"))


def test_a_delete_waiting_for_a_copy_sees_its_codes(postgres_db):
    """As with a foreign key: a batch deleted while another transaction COPYs its codes waits for it, then
    is refused; it never leaves codes behind pointing to nothing."""
    _, decl = released_lines(postgres_db, [10])
    with postgres_db.transaction() as s:
        batch = trace.reserve_codes(s, decl, 1, 10, KEYRING, SYSTEM)
    url = "postgresql://" + postgres_db.url.split("://", 1)[1]
    outcome: dict[str, object] = {}
    with psycopg.connect(url) as writer:
        with writer.cursor().copy("COPY trace_code (serial, line_id, batch_id) FROM STDIN") as copy:
            copy.write_row(("RACE0001", batch.line_id, batch.id))

        def delete() -> None:
            try:
                with psycopg.connect(url, autocommit=True) as other:
                    other.execute("DELETE FROM code_batch WHERE id = %s", (batch.id,))
                outcome["deleted"] = True
            except psycopg.errors.ForeignKeyViolation as exc:
                outcome["refused"] = str(exc)

        deleter = threading.Thread(target=delete)
        deleter.start()
        time.sleep(0.5)
        assert deleter.is_alive(), "the delete must wait for the COPY's transaction"
        writer.commit()
        deleter.join(10)
    assert "cannot be deleted" in str(outcome.get("refused")), outcome
    with postgres_db.read_session() as s:
        assert s.get(CodeBatch, batch.id) is not None
