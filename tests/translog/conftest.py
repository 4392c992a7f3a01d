"""The Go vectors (tests/translog/vectors, made by Go's golang.org/x/mod/sumdb/tlog and note) and the Go
program that made them, built once per session for the tests that have Go check our log."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

VECTORS = Path(__file__).parent / "vectors"


def go_leaf(i: int) -> bytes:
    """The leaves the Go program hashes (its `leaf` function)."""
    return ('{"leaf":' + str(i) + ',"zh":"第' + str(i) + '条"}').encode()


@pytest.fixture(scope="session")
def vectors() -> dict:
    return json.loads((VECTORS / "vectors.json").read_text(encoding="utf-8"))


def _go() -> str | None:
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
