"""The code batch runner: reserve a line's codes, run a batch in chunks under a lease renewed by a
heartbeat, undo one that cannot finish (resuming a batch whose runner died: `batch_recovery`)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.db import Database, affected, id_of
from core.errors import Conflict, NotFound
from core.events import emit
from core.security import Principal
from enterprises import service as enterprises
from traceability import code_keys, epcis
from traceability.codes import Keyring
from traceability.digsig import CodeSigner
from traceability.events import CodesIssued
from traceability.lookups import get_declaration, get_line
from traceability.models import (
    BatchStatus,
    CodeBatch,
    Declaration,
    DeclarationLine,
    DeclarationStatus,
    InspectionResult,
    TraceCode,
)

log = logging.getLogger(__name__)

# A batch is claimed by one runner at a time (a token per run, see `new_runner`) until its lease runs
# out; the runner renews the lease while it works, and every write it makes (each chunk, the final
# 'done', undoing it) is conditional on the batch still being running and still its own, in the same
# transaction. A batch whose lease ran out lost its runner (a killed CLI or server) and is resumed,
# from the codes already inserted, by whichever process claims it next. Nothing ever undoes a batch
# whose runner may be alive, and the reservation changes only in the transaction that creates the
# batch or undoes it with its codes, so `codes_reserved` always equals the quantities of the running
# and done batches.
LEASE_SECONDS = 30.0
MAX_ATTEMPTS = 10


class BatchLost(Conflict):
    """This run no longer holds its batch: another runner claimed it after the lease ran out (this
    process was stalled or cut off from the database), or it was undone. The run wrote nothing after
    losing it; whoever holds the batch now carries on."""

    def __init__(self, detail: str, batch_id: int, status: str) -> None:
        super().__init__(detail, field="batch")
        # Not `status`: that is the HTTP status every DomainError carries (409 for a Conflict).
        self.batch_id, self.batch_status = batch_id, status


class _Lost(Exception):
    """Raised inside a transaction to roll it back when the claim is gone; becomes BatchLost."""


def new_runner(role: str) -> str:
    """A token for one run of a batch: who runs it (for whoever reads the table) and a random part, so
    that two runs in one process, or a restarted process with a reused pid, are never confused."""
    return f"{role}:{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(6)}"


def _lease_end(lease_seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=lease_seconds)


def _lease_expired(now: datetime):  # noqa: ANN202 - a SQL condition
    # A batch from before leases existed has none: it is as expired as a batch whose runner died.
    return or_(col(CodeBatch.lease_until).is_(None), col(CodeBatch.lease_until) < now)


def _held_by(batch_id: int, runner: str):  # noqa: ANN202 - a SQL condition
    return and_(
        col(CodeBatch.id) == batch_id,
        col(CodeBatch.status) == BatchStatus.running,
        col(CodeBatch.runner) == runner,
    )


def reserve_codes(
    session: Session,
    declaration_id: int,
    line_no: int,
    quantity: int,
    keyring: Keyring,
    by: Principal,
    *,
    runner: str | None = None,
    lease_seconds: float = LEASE_SECONDS,
    enterprise_id: int | None = None,
    signed: bool = False,
) -> CodeBatch:
    """Check the line may get `quantity` more codes and reserve them, in the transaction that creates
    the batch, claimed by `runner` (a new token if not given: pass `batch.runner` to `run_batch`).
    With `enterprise_id`, only for one of that enterprise's declarations (else not found). A `signed`
    batch's codes carry a DigSig (AI 8030) by the importer's signing key (made on first use)."""
    decl = get_declaration(session, declaration_id, enterprise_id)
    by.ensure_may_act_for(decl.enterprise_id)
    if decl.status != DeclarationStatus.released:
        raise Conflict(
            f"codes are issued only for released declarations; {decl.declaration_no} is {decl.status}",
            field="status",
        )
    line = get_line(session, declaration_id, line_no)
    if line.inspection_result != InspectionResult.passed:
        raise Conflict(f"line {line_no} failed inspection and never gets codes", field="line_no")
    if line.recalled_at is not None:
        raise Conflict(f"lot {line.lot} was recalled", field="line_no")
    reserved = affected(
        session.execute(
            update(DeclarationLine)
            .where(
                col(DeclarationLine.id) == line.id,
                col(DeclarationLine.codes_reserved) + quantity <= DeclarationLine.quantity,
            )
            .values(codes_reserved=DeclarationLine.codes_reserved + quantity)
        )
    )
    if reserved != 1:
        session.refresh(line)
        remaining = line.quantity - line.codes_reserved
        raise Conflict(
            f"line {line_no} declared {line.quantity} items and {line.codes_reserved} codes exist or are being"
            f" issued: at most {remaining} more",
            field="quantity",
        )
    batch = CodeBatch(
        line_id=id_of(line),
        enterprise_id=decl.enterprise_id,
        quantity=quantity,
        key_id=keyring.active,
        created_at=utcnow(),
        runner=runner or new_runner("issuer"),
        lease_until=_lease_end(lease_seconds),
        signing_key_id=_signing_key(session, keyring, decl.enterprise_id) if signed else None,
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        by.actor,
        "codes.requested",
        "code_batch",
        batch.id,
        batch.model_dump(mode="json", exclude={"runner", "lease_until", "attempts"}),
    )
    return batch


def _signing_key(session: Session, keyring: Keyring, enterprise_id: int) -> int:
    if keyring.signing is None:
        raise Conflict("this process has no code-signing keys: signed codes cannot be issued", field="signed")
    profile = enterprises.public_profile(session, enterprise_id) or {}
    name = profile.get("name_en") or profile.get("name_zh") or f"enterprise {enterprise_id}"
    key = code_keys.signing_key_for(session, keyring.signing, enterprise_id, name)
    assert key.id is not None
    return key.id


# Codes per transaction: large enough that the per-transaction cost vanishes, small enough that a
# crash loses little and SQLite's write lock is never held long (settings.code_batch_chunk).
CHUNK = 50_000


def _insert_chunk(session: Session, rows: list[tuple[str, int, int, str | None]]) -> None:
    """The bulk insert, at the driver level: a million ORM objects would cost more than the rows."""
    conn = session.connection()
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # the session's connection, checked out
    cur = dbapi.cursor()
    try:
        _insert_rows(cur, conn.dialect.name, rows)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        # At the driver level SQLAlchemy wraps nothing: a serial drawn twice is named as the ORM names
        # it, so that the chunk is drawn again on both databases.
        raise IntegrityError("INSERT INTO trace_code", None, exc) from exc
    finally:
        cur.close()


def _insert_rows(cur: Any, dialect: str, rows: list[tuple[str, int, int, str | None]]) -> None:
    if dialect == "sqlite":
        cur.executemany(
            "INSERT INTO trace_code (serial, line_id, batch_id, digsig) VALUES (?, ?, ?, ?)",
            rows,
        )
    else:
        with cur.copy("COPY trace_code (serial, line_id, batch_id, digsig) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _hold(session: Session, batch_id: int, runner: str, lease_seconds: float, add: int = 0) -> None:
    """Renew this run's lease and count `add` more codes, only if the batch is still running, still
    ours and not over its quantity; otherwise roll the caller's transaction back. The UPDATE comes
    first so that on PostgreSQL it takes the batch's row lock before the codes go in: a claimer
    waits for this transaction, then sees the renewed lease and leaves the batch alone."""
    held = affected(
        session.execute(
            update(CodeBatch)
            .where(_held_by(batch_id, runner), col(CodeBatch.issued) + add <= CodeBatch.quantity)
            .values(issued=CodeBatch.issued + add, lease_until=_lease_end(lease_seconds))
        )
    )
    if held != 1:
        raise _Lost


class _Heartbeat:
    """Renews a run's lease between chunks (serial generation, a slow disk, a busy database), so that
    only a dead or stalled process loses its batch. It stops on its own once the claim is gone."""

    def __init__(self, db: Database, batch_id: int, runner: str, lease_seconds: float, every: float) -> None:
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._args = (db, batch_id, runner, lease_seconds)
        self._every = every
        self._thread = threading.Thread(target=self._loop, name=f"lease-{batch_id}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        db, batch_id, runner, lease_seconds = self._args
        while not self._stop.wait(self._every):
            try:
                with db.transaction() as s:
                    _hold(s, batch_id, runner, lease_seconds)
            except _Lost:
                self.lost.set()
                return
            except Exception:  # noqa: BLE001 - the database is away: the next beat tries again
                log.warning("could not renew the lease of code batch %s", batch_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _loss(db: Database, batch_id: int) -> BatchLost:
    """What became of a batch this run lost, in words for the CLI and the log."""
    with db.read_session() as s:
        batch = s.get(CodeBatch, batch_id)
    if batch is None:
        return BatchLost(f"batch {batch_id} no longer exists", batch_id, "missing")
    if batch.status == BatchStatus.running:
        detail = (
            f"batch {batch_id} was taken over by {batch.runner} after this run's lease ran out; it"
            f" carries on there ({batch.issued} of {batch.quantity} codes so far)"
        )
    elif batch.status == BatchStatus.done and batch.runner:
        # Named as a takeover still running is: who took it matters more than how far it had got.
        detail = (
            f"batch {batch_id} was taken over by {batch.runner} and finished there ({batch.quantity} codes),"
            " not by this run"
        )
    elif batch.status == BatchStatus.done:
        detail = f"batch {batch_id} was finished by another runner ({batch.quantity} codes), not by this run"
    else:
        detail = f"batch {batch_id} failed and was undone: {batch.error}"
    return BatchLost(detail, batch_id, batch.status)


class IssuanceError(RuntimeError):
    """The codes of a batch do not add up to its quantity at the end: it is undone, never done."""


def run_batch(
    db: Database,
    batch_id: int,
    keyring: Keyring,
    resolver: str,
    progress: Callable[[int, int], None] | None = None,
    *,
    runner: str,
    lease_seconds: float = LEASE_SECONDS,
    heartbeat_every: float | None = None,
    chunk: int | None = None,
) -> CodeBatch:
    """Issue a batch's codes in chunks as the runner that holds it, from the codes already inserted (a
    resumed batch carries on where its last runner stopped). Serial generation runs in a second
    thread while the database inserts (the driver releases the GIL), and the codes become visible
    only when the batch is done. Raises BatchLost, having written nothing more, if the batch is taken
    from this run; any other error undoes the batch (if it is still this run's) and is raised."""
    with db.read_session() as s:
        batch = s.get(CodeBatch, batch_id)
        if batch is None:
            raise NotFound(f"no code batch {batch_id}")
        line = s.get_one(DeclarationLine, batch.line_id)
        decl = s.get_one(Declaration, line.declaration_id)
        issued = s.exec(
            select(func.count()).select_from(TraceCode).where(TraceCode.batch_id == batch_id)
        ).one()
    assert line is not None and decl is not None
    if batch.status != BatchStatus.running or batch.runner != runner:
        raise _loss(db, batch_id)
    heartbeat = _Heartbeat(
        db, batch_id, runner, lease_seconds, heartbeat_every if heartbeat_every else lease_seconds / 3
    )
    try:
        if not keyring.has_key(batch.key_id):
            raise IssuanceError(f"the serial key {batch.key_id!r} this batch started with is gone")
        signer = _signer_of(db, keyring, batch.signing_key_id)
        remaining = batch.quantity - issued
        for codes in _generated(keyring, signer, line, remaining, batch.key_id, chunk or CHUNK):
            if heartbeat.lost.is_set():
                raise _Lost
            issued += _store_chunk(db, batch, line, codes, keyring, signer, runner, lease_seconds)
            if progress:
                progress(issued, batch.quantity)
        with db.transaction() as s:
            return _finish(s, batch, line, decl, resolver, runner)
    except _Lost:
        raise _loss(db, batch_id) from None
    except Exception as exc:
        fail_batch(db, batch_id, f"{type(exc).__name__}: {exc}"[:500], runner=runner)
        raise
    finally:
        heartbeat.stop()


def _store_chunk(
    db: Database,
    batch: CodeBatch,
    line: DeclarationLine,
    codes: list[tuple[str, str | None]],
    keyring: Keyring,
    signer: CodeSigner | None,
    runner: str,
    lease_seconds: float,
) -> int:
    """Insert one chunk of a batch's codes (serial, DigSig) in its own transaction, holding the
    batch; returns how many went in."""
    batch_id, line_id = batch.id, id_of(line)
    assert batch_id is not None
    rows = [(serial, line_id, batch_id, digsig) for serial, digsig in codes]
    for attempt in range(3):
        try:
            with db.transaction() as s:
                _hold(s, batch_id, runner, lease_seconds, add=len(rows))
                _insert_chunk(s, rows)
            break
        except IntegrityError as exc:
            # 65 random bits collide about once in 10^19 pairs; draw the chunk again (a serial taken,
            # on both databases; any other broken rule is raised at once).
            if attempt == 2 or "serial" not in str(exc.orig):
                raise
            rows = [
                (serial, line_id, batch_id, digsig)
                for serial, digsig in _codes(keyring, signer, line, len(rows), batch.key_id)
            ]
    return len(rows)


def _finish(
    s: Session, batch: CodeBatch, line: DeclarationLine, decl: Declaration, resolver: str, runner: str
) -> CodeBatch:
    """Mark the batch done, if this run still holds it and it has exactly its codes, with its
    commissioning event, audit entry and `codes.issued` event, in the caller's transaction."""
    batch_id = batch.id
    assert batch_id is not None
    finished_at = utcnow()
    held = affected(
        s.execute(
            update(CodeBatch)
            .where(_held_by(batch_id, runner))
            .values(status=BatchStatus.done, finished_at=finished_at, lease_until=None)
        )
    )
    if held != 1:
        raise _Lost
    # Counted in the transaction that makes them visible: a done batch has exactly its codes.
    stored = s.exec(select(func.count()).select_from(TraceCode).where(TraceCode.batch_id == batch_id)).one()
    if stored != batch.quantity:
        raise IssuanceError(f"{stored} codes stored for a batch of {batch.quantity}")
    done = s.get_one(CodeBatch, batch_id)
    epcis.record_internal(
        s,
        epcis.class_event(
            resolver,
            line,
            decl,
            biz_step="commissioning",
            disposition="active",
            when=finished_at,
            quantity=done.quantity,
            action="ADD",
            extra={"ct:batch": done.id},
        ),
        decl.enterprise_id,
    )
    payload = {
        "batch_id": done.id,
        "line_id": line.id,
        "declaration_id": decl.id,
        "enterprise_id": decl.enterprise_id,
        "gtin": line.gtin,
        "lot": line.lot,
        "quantity": done.quantity,
    }
    audit.record(s, "system:issuer", "codes.issued", "code_batch", done.id, payload)
    emit(s, "codes.issued", "code_batch", done.id, CodesIssued(**payload), "system:issuer")
    return done


# A signed batch's chunks are signed by two threads (the machines have two cores): on 2026-12-06 a
# 200,000-code batch issued at 1.48x the rate of one signing thread (BENCHMARKS.md).
SIGNING_THREADS = 2


def _signer_of(db: Database, keyring: Keyring, key_id: int | None) -> CodeSigner | None:
    """The signer of a signed batch's key (unsealed for this run only); None for an unsigned batch."""
    if key_id is None:
        return None
    if keyring.signing is None:
        raise IssuanceError("this process has no code-signing keys to run a signed batch")
    with db.read_session() as s:
        return code_keys.signer(s, keyring.signing, key_id, SIGNING_THREADS)


def _codes(
    keyring: Keyring, signer: CodeSigner | None, line: DeclarationLine, count: int, kid: str
) -> list[tuple[str, str | None]]:
    """`count` fresh serials of the line, each with its DigSig when the batch is signed."""
    serials = keyring.new_serials(line.gtin, line.lot, count, kid)
    if signer is None:
        return [(serial, None) for serial in serials]
    digsigs = signer.sign_serials(line.gtin, line.lot, line.expiry_date, serials)
    return list(zip(serials, digsigs, strict=True))


def _generated(
    keyring: Keyring, signer: CodeSigner | None, line: DeclarationLine, quantity: int, kid: str, chunk: int
) -> Iterator[list[tuple[str, str | None]]]:
    """Chunks of codes, generated (and signed) one chunk ahead in a helper thread."""
    sizes = [min(chunk, quantity - start) for start in range(0, quantity, chunk)]
    results: list[list[tuple[str, str | None]] | None] = [None] * len(sizes)
    ready = [threading.Event() for _ in sizes]
    errors: list[BaseException] = []
    stop = threading.Event()
    slots = threading.Semaphore(2)

    def produce() -> None:
        try:
            for i, size in enumerate(sizes):
                slots.acquire()
                if stop.is_set():
                    return
                results[i] = _codes(keyring, signer, line, size, kid)
                ready[i].set()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            errors.append(exc)
            for event in ready:
                event.set()

    producer = threading.Thread(target=produce, name="serials", daemon=True)
    producer.start()
    try:
        for i in range(len(sizes)):
            ready[i].wait()
            if errors:
                raise errors[0]
            serials = results[i]
            results[i] = None
            assert serials is not None
            yield serials
            slots.release()
    finally:
        stop.set()
        slots.release()
        slots.release()
        producer.join()


def _undo(session: Session, batch: CodeBatch, error: str) -> None:
    """Delete a batch's codes and give back its reservation, in one transaction with its 'failed'."""
    session.execute(delete(TraceCode).where(col(TraceCode.batch_id) == batch.id))
    session.execute(
        update(DeclarationLine)
        .where(col(DeclarationLine.id) == batch.line_id)
        .values(codes_reserved=DeclarationLine.codes_reserved - batch.quantity)
    )
    audit.record(session, "system:issuer", "codes.failed", "code_batch", batch.id, {"error": error})


def fail_batch(db: Database, batch_id: int, error: str, *, runner: str) -> bool:
    """Undo a batch its own run could not finish: delete its codes, give back its reservation, say
    why. Only the run that holds the batch may: False (and nothing changed) if it no longer does."""
    with db.transaction() as s:
        held = affected(
            s.execute(
                update(CodeBatch)
                .where(_held_by(batch_id, runner))
                .values(
                    status=BatchStatus.failed, error=error, issued=0, finished_at=utcnow(), lease_until=None
                )
            )
        )
        if held != 1:
            return False
        _undo(s, s.get_one(CodeBatch, batch_id), error)
        return True


def serials_of_batch(session: Session, batch_id: int) -> list[str]:
    """A batch's serials in the order they were issued (the transparency log's batch root is over them)."""
    return list(
        session.exec(
            select(TraceCode.serial).where(col(TraceCode.batch_id) == batch_id).order_by(col(TraceCode.id))
        )
    )


def batch_of_serial(session: Session, serial: str) -> int | None:
    """The batch a serial was issued in, if it was."""
    return session.exec(select(TraceCode.batch_id).where(TraceCode.serial == serial)).first()
