"""The Go vectors (tests/translog/vectors, made by Go's golang.org/x/mod/sumdb/tlog and note) and the Go
program that made them, built once per session for the tests that have Go check our log."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.traceability.conftest import Flow
from translog import scheduled

VECTORS = Path(__file__).parent / "vectors"


def go_leaf(i: int) -> bytes:
    """The leaves the Go program hashes (its `leaf` function)."""
    return ('{"leaf":' + str(i) + ',"zh":"第' + str(i) + '条"}').encode()


@pytest.fixture(scope="session")
def vectors() -> dict:
    return json.loads((VECTORS / "vectors.json").read_text(encoding="utf-8"))


def _go() -> str | None:
    fetched = Path(__file__).resolve().parents[2] / "var" / "go" / "bin" / "go"  # scripts/system-deps.sh
    if fetched.exists():
        return str(fetched)
    return shutil.which("go") or next(
        (p for p in ["/usr/local/go/bin/go", "/usr/lib/go/bin/go"] if Path(p).exists()), None
    )


@pytest.fixture(scope="session")
def go_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vectors program, built from its vendored (unmodified) Go packages: no network needed."""
    go = _go()
    if go is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must check the log with Go: install Go (scripts/system-deps.sh test)")
        pytest.skip("Go is not installed (scripts/system-deps.sh test installs it)")
    out = tmp_path_factory.mktemp("go") / "tlogvectors"
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=vendor -buildvcs=false", "GOPROXY": "off"}
    if "HOME" not in env and "GOCACHE" not in env:  # Go keeps its build cache under HOME otherwise
        env["GOCACHE"] = str(tmp_path_factory.mktemp("gocache"))
    subprocess.run([go, "build", "-o", str(out), "."], cwd=VECTORS, env=env, check=True, timeout=600)
    return out


@pytest.fixture
def hand_checkpoints(settings):
    """The app's scheduler would sign checkpoints on its own timer: the tests sign them."""
    settings.tlog_checkpoint_seconds = 0
    settings.tlog_witness_seconds = 0


@pytest.fixture
def published(hand_checkpoints, db, client, keys, dispatcher, settings):
    """Records published by the platform's own flow, delivered through the outbox, a checkpoint signed."""
    flow = Flow(client, keys)
    _product, decl, codes = flow.released_codes(quantity=5)
    dispatcher.drain()
    size = scheduled.checkpoint(settings, db)
    assert size is not None and size > 0
    return decl, codes


def _record_and_grade(db) -> tuple[int, int]:
    with db.read_session() as s:
        record = s.execute(
            text("SELECT subject FROM tlog_leaf WHERE kind = 'disclosure.record' LIMIT 1")
        ).scalar()
        grade = s.execute(text("SELECT subject FROM tlog_leaf WHERE kind = 'credit.grade' LIMIT 1")).scalar()
    # The merchant was rated when it registered (credit.rate_new_enterprise): its grade is a leaf.
    return int(record.split(":")[1]), int(grade.split(":")[1])
