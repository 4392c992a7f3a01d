"""A signed batch survives kill -9 (issue 26): the real `crosstrust codes issue --signed` is killed with
SIGKILL mid-batch, `crosstrust codes resume` finishes it in another process, and every code, those
signed before the kill and those after, carries a DigSig by the batch's key that verifies."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from core.clock import clock, utcnow
from core.settings import Settings, get_settings
from traceability import code_keys, digsig
from traceability import service as trace
from traceability.models import BatchStatus, CodeBatch, TraceCode

from .issuance import check_invariant, released_lines

ROOT = Path(__file__).resolve().parents[2]
QUANTITY = 60_000
CHUNK = 5_000
LEASE = 2.0


def test_a_signed_batch_killed_mid_way_is_resumed_and_every_code_verifies(db, tmp_path, monkeypatch, zygote):
    _, decl_id = released_lines(db, [QUANTITY])
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    env.update(
        CROSSTRUST_DATABASE_URL=db.url,
        CROSSTRUST_VAR_DIR=str(tmp_path / "var"),
        CROSSTRUST_CODE_SECRET="signed-crash",
        CROSSTRUST_BATCH_LEASE_SECONDS=str(LEASE),
        CROSSTRUST_CODE_BATCH_CHUNK=str(CHUNK),
        CROSSTRUST_AUDIT_KEY=os.environ["CROSSTRUST_AUDIT_KEY"],
        CROSSTRUST_AUDIT_SIGNING_KEY=os.environ["CROSSTRUST_AUDIT_SIGNING_KEY"],
    )
    argv = ["crosstrust", "codes", "issue", "--signed", "--declaration", str(decl_id)]
    argv += ["--quantity", str(QUANTITY)]
    # A process of its own, forked from the worker's zygote (tests/zygote.py).
    out = tmp_path / "issue.log"
    proc = zygote.spawn("api.cli:main", argv, env=env, out=out, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:  # kill it once some chunks are in and before it is done
            with db.read_session() as s:
                batch = s.exec(select(CodeBatch)).first()
                stored = s.exec(select(func.count()).select_from(TraceCode)).one() if batch else 0
            if batch is not None and stored >= CHUNK:
                break
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with db.read_session() as s:
        killed = s.get(CodeBatch, batch.id)
        before = s.exec(select(func.count()).select_from(TraceCode)).one()
    assert killed.status == BatchStatus.running and CHUNK <= before < QUANTITY
    check_invariant(db)

    # The killed CLI's lease runs out: the clock moved past it (leases are read on core.clock), instead of
    # waiting for it on the wall clock.
    clock.freeze(utcnow() + timedelta(seconds=LEASE + 0.5))
    for name, value in env.items():
        if name.startswith("CROSSTRUST_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    from api.cli import app as cli

    try:
        resumed = CliRunner().invoke(cli, ["codes", "resume", "--batch", str(batch.id)])
    finally:
        get_settings.cache_clear()
    assert resumed.exit_code == 0, resumed.output
    assert f"{QUANTITY} codes issued" in resumed.output
    assert list(check_invariant(db).values())[0]["done"] == QUANTITY

    settings = Settings(var_dir=tmp_path / "var", _env_file=None)
    kit = code_keys.SigningKit.from_settings(settings)
    with db.transaction() as s:
        bundle = digsig.Bundle.from_document(code_keys.published(s, kit))
    codes = list(trace.codes_of_batch(db, batch.id))
    assert len(codes) == QUANTITY and len({c.link.digsig for c in codes}) == QUANTITY
    for code in codes[:: QUANTITY // 600]:  # every hundredth, before the kill and after
        link = code.link
        element = digsig.element_string(link.gtin, link.lot, code.serial, link.expiry)
        assert digsig.check(bundle, element, link.digsig).key_id == killed.signing_key_id
        assert digsig.check(bundle, element, link.digsig).outcome == digsig.Outcome.genuine_signature
