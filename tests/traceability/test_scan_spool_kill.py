"""kill -9 loses no answered scan (issue 22): the real server (uvicorn) under a load of JSON scans, each of
a code of its own, is killed with SIGKILL mid-load and started again on the same var/; after a clean stop
every scan a client got an answer for is recorded exactly once, none twice, and each code's scan summary
counts exactly its records. On SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from itertools import count
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import select

from api import seeding
from core.security import SYSTEM
from tests.probe import probe
from tests.zygote import Forked, Zygote
from traceability import service as trace
from traceability.codes import Keyring
from traceability.models import DeclarationLine, TraceCode

from .issuance import RESOLVER, released_lines
from .test_issuance_crash import _free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "spool-kill-secret"
CODES = 6000
CLIENTS = 8


def _codes(db) -> tuple[str, str, list[str]]:
    """A released, shipped lot of CODES codes: (gtin, lot, serials)."""
    _, decl_id = released_lines(db, [CODES])
    keyring = Keyring.from_secret(SECRET.encode())
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, CODES, keyring, SYSTEM)
    trace.run_batch(db, batch.id, keyring, RESOLVER, runner=batch.runner)
    with db.transaction() as s:
        seeding.ship(s, decl_id, 1, RESOLVER)
    with db.read_session() as s:
        line = s.exec(select(DeclarationLine).where(DeclarationLine.declaration_id == decl_id)).one()
        serials = list(s.exec(select(TraceCode.serial).where(TraceCode.line_id == line.id)))
    return line.gtin, line.lot, serials


def _server(zygote: Zygote, env: dict[str, str], port: int, log: Path) -> Forked:
    """`uvicorn --factory api.app:factory` as a process of its own, forked from the worker's zygote."""
    proc = zygote.spawn(
        "uvicorn.main:main",
        ["uvicorn", "--factory", "api.app:factory", "--host", "127.0.0.1"]
        + ["--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env,
        out=log,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if probe.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "the server did not start in 60 s"
        time.sleep(0.1)


def test_kill_9_under_load_loses_no_answered_scan(db, tmp_path, zygote):
    gtin, lot, serials = _codes(db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    env.update(
        CROSSTRUST_DATABASE_URL=db.url,
        CROSSTRUST_VAR_DIR=str(tmp_path / "var"),
        CROSSTRUST_CODE_SECRET=SECRET,
        CROSSTRUST_CREDIT_NIGHTLY_AT="",
        CROSSTRUST_ROLES="api",
        CROSSTRUST_PUBLIC_RATE_LIMIT_PER_MINUTE="100000000",
        CROSSTRUST_PUBLIC_RATE_LIMIT_BURST="100000000",
        CROSSTRUST_AUDIT_KEY=os.environ["CROSSTRUST_AUDIT_KEY"],
        CROSSTRUST_AUDIT_SIGNING_KEY=os.environ["CROSSTRUST_AUDIT_SIGNING_KEY"],
    )
    port = _free_port()
    log = tmp_path / "server.log"
    server = _server(zygote, env, port, log)
    answered: list[str] = []
    next_code = count()
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Accept": "application/json"}
        ) as http:
            while not stop.is_set():
                i = next(next_code)
                if i >= len(serials):
                    return
                try:
                    r = http.get(f"/01/{gtin}/10/{lot}/21/{serials[i]}", timeout=10)
                except httpx.HTTPError:
                    continue  # the server is gone: this scan was not answered
                if r.status_code == 200 and r.json():
                    answered.append(serials[i])

    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for c in clients:
        c.start()
    try:
        deadline = time.monotonic() + 60
        while len(answered) < 600:  # mid-load: the writer has written some batches, not all
            assert time.monotonic() < deadline and server.poll() is None, "too few scans answered"
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait(30)
    finally:
        stop.set()
        for c in clients:
            c.join(30)
    with db.read_session() as s:
        before_restart = s.exec(text("SELECT count(*) FROM scan_record")).one()[0]
    # The restart replays the killed process's spool, and a clean stop drains the writer.
    server = _server(zygote, env, port, log)
    server.terminate()
    server.wait(60)
    with db.read_session() as s:
        recorded = Counter(r[0] for r in s.exec(text("SELECT serial FROM scan_record")))
        counted = dict(
            s.exec(
                text(
                    "SELECT c.serial, s.scan_count FROM trace_code c JOIN scan_summary s ON s.code_id = c.id"
                    " WHERE s.scan_count > 0"
                )
            ).all()
        )
        left = s.exec(text("SELECT count(*) FROM scan_spool_done")).one()[0]
    print(
        f"answered {len(answered)}, recorded before the restart {before_restart}, after {sum(recorded.values())}"
    )
    missing = [s for s in answered if recorded[s] != 1]
    assert not missing, f"{len(missing)} answered scans not recorded once, e.g. {missing[:3]}"
    assert max(recorded.values()) == 1, "a scan was recorded twice"
    # A scan may have been spooled and then killed before its answer left: recorded, never answered.
    assert set(recorded) <= set(serials[: next(next_code)])
    assert counted == dict(recorded), "the codes' scan summaries disagree with their records"
    assert not list((tmp_path / "var" / "scan-spool").glob("*.spool")), "the spool was not emptied"
    # Rows of written segments go with the next batch or a clean stop; the killed process's last one stays.
    assert left <= 1
