"""Issue 9's crash test: the real server (uvicorn) and the real `crosstrust` CLI as processes against a
SQLite file and against PostgreSQL, issuing large batches while they are killed with SIGKILL at random
points (a fixed seed) and restarted, and a CLI stalled past its lease. After every kill and every
restart the quantity, the reservation and the codes agree and the audit ledger is intact; at the end
every line has exactly the codes it asked for, and every CLI said truthfully how its batch ended."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlmodel import select

from core.errors import Conflict
from core.security import SYSTEM, Role, create_key
from tests.probe import probe
from tests.zygote import Forked, Zygote
from traceability import service as trace
from traceability.codes import Keyring
from traceability.models import BatchStatus, CodeBatch, DeclarationLine

from .issuance import check_invariant, released_lines

ROOT = Path(__file__).resolve().parents[2]
# Per line: seconds of work each, so that kills land mid-batch. 15 chunks a line, as at 150,000 codes in
# chunks of 10,000 (issue 21: a quarter of the codes, the same chunk boundaries, a quarter of the wait).
QUANTITY = 37_500
CHUNK = 2_500  # codes per transaction: a kill loses at most this much work
STALLED_CHUNK = 250  # the stalled CLI's: 150 transactions, each with a gap a stop can land in
MOMENT = 0.25  # a kill's random moment after the work moved on, at most (1 s at four times the work)
# Seconds a batch's runner may go without a heartbeat before another takes the batch over; each kill of a
# runner waits this long before its batch is resumed. At 5 s the two items waited ~70 s of their ~90 s;
# at 2.5 s a runner that misses its heartbeat on a busy machine is taken over and says so, which the
# test accepts (exit 3, "taken over"): it passed with both items beside two busy processes (issue 21).
LEASE = 2.5
ITERATIONS = 10
# Lines started only when the work runs out (a fast machine finishes three lines in a few kills): at most
# one a kill, so as many as there are kills never run out (CI: 4 ran out after 9 kills on a quiet machine).
RESERVE = ITERATIONS
SECRET = "crash-test-secret"


def _free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999). The server is killed and started again on
    it many times; while it is down, a port from that range could be taken as the local end of any
    outgoing connection on the machine (this test's own to PostgreSQL and /healthz among them), and the
    restart failed with "address already in use" (seen on PostgreSQL, on main as on this branch)."""
    while True:
        port = random.randrange(20_000, 32_768)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


@dataclass
class Cli:
    proc: Forked
    out: Path
    args: list[str]
    killed: bool = False

    def output(self) -> str:
        return self.out.read_text(errors="replace")


@dataclass
class Processes:
    env: dict[str, str]
    logs: Path
    port: int
    # The server and the CLIs are forked from one process that imported the platform once
    # (tests/zygote.py): each is still a process of its own, stopped and killed with real signals.
    zygote: Zygote
    server: Forked | None = None
    clis: list[Cli] = field(default_factory=list)
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(
        self, call: str, argv: list[str], name: str, env: dict[str, str] | None = None
    ) -> tuple[Forked, Path]:
        self.starts += 1
        out = self.logs / f"{self.starts:03d}-{name}.log"
        return self.zygote.spawn(call, argv, env={**self.env, **(env or {})}, out=out, cwd=ROOT), out

    def healthy(self) -> bool:
        try:
            return probe.get(f"{self.base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start_server(self, wait: bool = True) -> None:
        self.server, _ = self._spawn(
            "uvicorn.main:main",
            ["uvicorn", "--factory", "api.app:factory", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            "server",
        )
        deadline = time.monotonic() + 60
        while wait:
            if self.healthy():
                return
            assert self.server.poll() is None, f"the server exited with {self.server.returncode}"
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.1)

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Cli:
        proc, out = self._spawn("api.cli:main", ["crosstrust", *args], "cli-" + args[1], env)
        c = Cli(proc, out, list(args))
        self.clis.append(c)
        return c

    def running_cli(self) -> Cli | None:
        return next((c for c in self.clis if c.proc.poll() is None), None)

    def kill_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait(30)

    def kill_cli(self) -> None:
        for c in self.clis:
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait(30)
                c.killed = True

    def stop_all(self) -> None:
        for c in self.clis:
            if c.proc.poll() is None:
                c.proc.send_signal(signal.SIGCONT)
                c.proc.kill()
                c.proc.wait(30)
                c.killed = True
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(30)


def _batches(db, line_no_by_id: dict[int, int]) -> dict[int, list[CodeBatch]]:
    with db.read_session() as s:
        rows = list(s.exec(select(CodeBatch).order_by(CodeBatch.id)))
    out: dict[int, list[CodeBatch]] = {n: [] for n in line_no_by_id.values()}
    for b in rows:
        out[line_no_by_id[b.line_id]].append(b)
    return out


def _no_more_codes(db, decl_id: int, lines: int) -> None:
    """What the merchant tried after the restart in the report: issuing again is refused."""
    for line_no in range(1, lines + 1):
        with db.transaction() as s, pytest.raises(Conflict, match="at most 0 more"):
            trace.reserve_codes(s, decl_id, line_no, 1, Keyring.from_secret(SECRET.encode()), SYSTEM)


def _wait(predicate, timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)


def _holds_batch(db, batch_id: int) -> bool:
    """Whether another connection holds what a takeover of the batch must write, this moment: SQLite's
    write lock (a write transaction takes it at BEGIN) or, on PostgreSQL, the batch's row lock (a
    chunk's transaction takes it first). Asked with a wait of 0.2 s, so that a statement of the
    server's own jobs in passing is not taken for the stalled CLI's open transaction."""
    if db.is_sqlite:
        conn = sqlite3.connect(db.engine.url.database, timeout=0.2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    conn = db.engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute("SET lock_timeout = '200ms'")
        try:
            cur.execute("SELECT 1 FROM code_batch WHERE id = %s FOR UPDATE", (batch_id,))
            return False
        except psycopg.errors.LockNotAvailable:
            return True
        finally:
            conn.rollback()
            cur.execute("RESET lock_timeout")
            conn.commit()
    finally:
        conn.close()


def _said(c: Cli) -> str:
    return " ".join(c.output().split())


def test_killing_server_and_cli_at_random_points_never_breaks_the_quantity(db, tmp_path, zygote):
    t0 = time.monotonic()

    def mark(what: str) -> None:
        print(f"{time.monotonic() - t0:6.1f}s {what}")

    rng = random.Random(9_2026 + (0 if db.is_sqlite else 1))
    ent_id, decl_id = released_lines(db, [QUANTITY] * (3 + RESERVE))
    with db.transaction() as s:
        key = create_key(s, Role.merchant, ent_id)
        line_no_by_id = {
            ln.id: ln.line_no
            for ln in s.exec(select(DeclarationLine).where(DeclarationLine.declaration_id == decl_id))
        }

    def batch(line_no: int) -> CodeBatch | None:
        found = _batches(db, line_no_by_id)[line_no]
        return found[0] if found else None

    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    env.update(
        CROSSTRUST_DATABASE_URL=db.url,
        CROSSTRUST_VAR_DIR=str(tmp_path / "var"),
        CROSSTRUST_CODE_SECRET=SECRET,
        CROSSTRUST_BATCH_LEASE_SECONDS=str(LEASE),
        CROSSTRUST_CREDIT_NIGHTLY_AT="",
        CROSSTRUST_CODE_BATCH_CHUNK=str(CHUNK),
        # One deployment, one audit key pair: the ledger the processes write is verified here.
        CROSSTRUST_AUDIT_KEY=os.environ["CROSSTRUST_AUDIT_KEY"],
        CROSSTRUST_AUDIT_SIGNING_KEY=os.environ["CROSSTRUST_AUDIT_SIGNING_KEY"],
        PYTHONUNBUFFERED="1",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    p = Processes(env, logs, _free_port(), zygote)
    try:
        p.start_server()
        mark("server up")

        # 1. A CLI stalled past its lease (SIGSTOP) is taken over by the server and, woken, says so.
        # In small chunks: a transaction a few milliseconds long with a gap after each, so that a stop
        # soon lands between two of them (with CHUNK-sized ones most stops landed inside one, and the
        # CLI, let go 5-50 ms at a time, could finish the line's 15 chunks first: a flake on PostgreSQL).
        stalled = p.cli(
            "codes", "issue", "--declaration", str(decl_id), "--line", "1", "--quantity", str(QUANTITY),
            env={"CROSSTRUST_CODE_BATCH_CHUNK": str(STALLED_CHUNK)},
        )  # fmt: skip
        _wait(lambda: batch(1) is not None and batch(1).issued > 0, 60, "the first chunk", every=0.01)
        # Each try that stops the CLI inside a transaction costs 3 leases; on a loaded machine (two test
        # workers on two cores) the CLI spends more of its time in one, so allow several tries.
        deadline, stops = time.monotonic() + 180, 0
        while True:
            stops += 1
            stalled.proc.send_signal(signal.SIGSTOP)
            assert batch(1).status == BatchStatus.running, "the batch finished before the CLI could stall"
            try:
                # Stopped inside a transaction (SQLite's write lock, the batch's row lock), the CLI blocks
                # the takeover for good: seen at once, that try ends now instead of after three leases.
                # Seen free, the takeover must come; if it does not, the try ends after three leases
                # all the same (the lock seen only in passing), and the deadline below still holds.
                assert not _holds_batch(db, batch(1).id), "stopped inside a transaction"
                _wait(lambda: batch(1).runner.startswith("server:"), 3 * LEASE, "a takeover")
                break
            except AssertionError:
                # Stopped inside a transaction: let it out, stop again.
                assert time.monotonic() < deadline, "the stalled CLI's batch was never taken over"
                stalled.proc.send_signal(signal.SIGCONT)
                # Short, so that the CLI (faster on PostgreSQL since its keys are triggers) cannot finish
                # the batch between tries: CI once saw all 150,000 codes issued before a stop held.
                time.sleep(rng.uniform(0.005, 0.05))
        check_invariant(db)
        stalled.proc.send_signal(signal.SIGCONT)
        assert stalled.proc.wait(60) == 3, _said(stalled)
        assert f"batch {batch(1).id} was taken over by server:" in _said(stalled), _said(stalled)
        assert "codes issued" not in _said(stalled)
        check_invariant(db)
        mark(f"stalled CLI taken over (stopped {stops} times)")

        # 2. The reported interleaving: the server restarts while a CLI holds a batch (line 3) and while
        #    one of its own API jobs runs (line 2). Neither batch is undone; both carry on.
        issuing = p.cli(
            "codes", "issue", "--declaration", str(decl_id), "--line", "3", "--quantity", str(QUANTITY)
        )
        r = httpx.post(
            f"{p.base}/api/v1/enterprises/{ent_id}/declarations/{decl_id}/lines/2/codes",
            json={"quantity": QUANTITY},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert r.status_code == 202, r.text
        _wait(lambda: batch(3) is not None, 60, "the CLI's batch", every=0.02)
        p.kill_server()
        check_invariant(db)
        p.start_server()
        check_invariant(db)
        assert batch(3).status in (BatchStatus.running, BatchStatus.done), _said(issuing)
        assert batch(2).status in (BatchStatus.running, BatchStatus.done)
        mark("server restarted beside the CLI")

        # 3. Kill -9 at random points of the work, many times: each kill waits for the work to move on
        #    since the last one (a chunk, a claim, a finished batch), then a random moment more, so that
        #    kills land mid-batch, in start-up recoveries, in claims and in final commits alike. The
        #    restarted server is not waited for: a kill may land in its start-up too.
        def progress() -> tuple:
            bs = [b for bl in _batches(db, line_no_by_id).values() for b in bl]
            return tuple((b.id, b.status, b.issued, b.attempts) for b in bs)

        started = 3
        seen = progress()
        for i in range(ITERATIONS):
            if not any(b[1] == BatchStatus.running for b in seen):
                # The work ran out before the kills did: a CLI starts the next line, from scratch.
                assert started < 3 + RESERVE, f"work ran out after {i} kills, with every reserve line used"
                started += 1
                p.cli(
                    "codes", "issue", "--declaration", str(decl_id), "--line", str(started),
                    "--quantity", str(QUANTITY),
                )  # fmt: skip
            _wait(lambda before=seen: progress() != before, 120, f"progress before kill {i}", every=0.05)
            check_invariant(db)
            time.sleep(rng.uniform(0.0, MOMENT))
            victim = rng.choice(["server", "cli", "cli", "both"])
            if victim in ("server", "both"):
                p.kill_server()
            if victim in ("cli", "both"):
                p.kill_cli()
            seen = progress()
            check_invariant(db)
            _no_more_codes(db, decl_id, started)
            if p.server is None or p.server.poll() is not None:
                p.start_server(wait=False)
            if p.running_cli() is None:
                # A CLI resuming whatever lost its runner, racing the server for it.
                p.cli("codes", "resume")
            mark(f"kill {i} ({victim}) at {[(b[1], b[2]) for b in seen]}")
        if p.server.poll() is not None:
            p.start_server()
        _wait(p.healthy, 60, "the last server to start")

        # 4. Let everything finish: every line ends with exactly its quantity of codes.
        def finished() -> bool:
            return all(
                b.status != BatchStatus.running for bs in _batches(db, line_no_by_id).values() for b in bs
            )

        _wait(finished, 120, "every batch to finish")
        for c in p.clis:
            c.proc.wait(60)
        mark("finished")
        summary = check_invariant(db)
        by_line = [summary[line_id] for line_id in sorted(line_no_by_id, key=line_no_by_id.get)]
        assert [v["done"] for v in by_line] == [QUANTITY] * started + [0] * (3 + RESERVE - started), summary
        assert all(v["reserved"] == v["done"] and v["running"] == 0 for v in by_line), summary
        _no_more_codes(db, decl_id, started)
        for line_no, bs in _batches(db, line_no_by_id).items():
            if line_no <= started:  # resumed, never undone and re-asked
                assert [b.status for b in bs] == [BatchStatus.done], bs

        # Every CLI that ended on its own told the truth.
        for c in p.clis:
            if c.killed:
                continue
            text, code = _said(c), c.proc.returncode
            if code == 0:
                assert f"{QUANTITY} codes issued" in text or "no batch waiting" in text, (c.args, text)
            else:
                assert code == 3, (c.args, code, text)
                assert "taken over by" in text or "finished by another runner" in text, (c.args, text)

        verify = subprocess.run(  # noqa: S603
            [sys.executable, "-c", "from api.cli import main; main()", "audit", "verify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verify.returncode == 0 and "intact" in verify.stdout, verify.stdout + verify.stderr
    finally:
        p.stop_all()
