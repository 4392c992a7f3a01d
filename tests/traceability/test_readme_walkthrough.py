"""The README's walk from a declaration to a genuine scan, run as it is written: `crosstrust demo` on a
fresh database (what `make run` does first), a real server, and the README's shell block with curl and jq
and the demo's keys. Only the server's address is the test's own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app as cli_app
from core.settings import get_settings
from tests.conftest import missing, serve

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "### From a declaration to a genuine scan"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, "the README lost its walk-through"
    block = re.search(r"```sh\n(.*?)```", text[text.index(HEADING) :], re.S)
    assert block is not None
    return block.group(1)


def test_the_readme_walkthrough_ends_with_a_genuine_scan(db, settings, app, monkeypatch, tmp_path):
    for tool, package in (("curl", "curl"), ("jq", "jq")):
        if not shutil.which(tool):
            missing(tool, f"apt-get install {package}")
    script = walkthrough()
    assert script.startswith("BASE=http://127.0.0.1:8000\n")

    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("CROSSTRUST_CODE_SECRET", settings.code_secret)
    get_settings.cache_clear()
    try:
        seeded = CliRunner().invoke(cli_app, ["demo"])
    finally:
        get_settings.cache_clear()
    assert seeded.exit_code == 0, seeded.output
    keys = json.loads((settings.var_dir / "demo-keys.json").read_text())

    with serve(app) as base:
        # The codes this server issues point at it (a real deployment sets CROSSTRUST_RESOLVER_BASE_URL).
        app.state.settings.resolver_base_url = base
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "MERCHANT_KEY": keys["merchant"],
            "REGULATOR_KEY": keys["regulator"],
        }
        run = subprocess.run(  # noqa: S603 - the README's own block
            [
                "bash",
                "-euo",
                "pipefail",
                "-c",
                script.replace("BASE=http://127.0.0.1:8000", f"BASE={base}", 1),
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    # Issued but not yet shipped out of the bonded warehouse; five items shipped; then genuine.
    assert run.stdout.split() == ["not_shipped", "5", "genuine"], run.stdout + run.stderr
