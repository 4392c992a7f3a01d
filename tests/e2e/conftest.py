"""Browser tests: a real uvicorn server on loopback and Debian's Chromium driven headless by Playwright.

Servers: `live_server` (an empty database) and `demo_server` + `demo_keys` (the demo already seeded,
from a database seeded once per session and copied for each test). A test that starts with
`demo.seed(...)` on `live_server` should take `demo_server` instead."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import uvicorn

from api import demo
from api.app import create_app
from core.clock import clock
from core.db import Database, migrate
from core.settings import Settings
from tests.conftest import IN_CI

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer(NamedTuple):
    base: str
    db: Database
    app: object


def chromium_path() -> str:
    """Debian's `chromium-headless-shell` (CROSSTRUST_CHROMIUM picks another): the same Chromium release,
    Blink and V8 as Debian's `chromium`, built as the headless shell that Playwright itself runs headless
    tests in, without the full browser's window layer. tests/e2e on two workers spent 120 CPU s (pytest,
    driver and browser) where `chromium --headless` spent 194, and took 131 s instead of 210 (BENCHMARKS.md,
    "The suite, eleventh pass"). The full browser where only it is installed."""
    path = (
        os.environ.get("CROSSTRUST_CHROMIUM")
        or shutil.which("chromium-headless-shell")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        if IN_CI:
            pytest.fail("CI must run the browser tests: Debian's chromium-headless-shell is not installed")
        pytest.skip("chromium-headless-shell not installed (make test installs it)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path: Path, url: str) -> Iterator[LiveServer]:
    """The app on `url`'s database behind a real uvicorn server on a free loopback port."""
    db = Database(url)
    port = _free_port()
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=url,
        code_secret="e2e",
        resolver_base_url=f"http://127.0.0.1:{port}",
        _env_file=None,
    )
    app = create_app(settings, db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 90  # a safety net, not a timing check: a loaded machine is slow
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", db, app)
    server.should_exit = True
    thread.join(10)
    db.dispose()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_url: str) -> Iterator[LiveServer]:
    """A server on the session's SQLite database, emptied for the test."""
    from tests.conftest import _truncate

    emptied = Database(sqlite_url)
    _truncate(emptied)
    emptied.dispose()
    yield from _serve(tmp_path, sqlite_url)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A migrated SQLite file with the demo seeded (`api.demo.seed`: its enterprises, trade, credit
    records and one key per role), made once per session (per xdist worker), and the keys it returned.
    Tests use it through `demo_server` and `demo_keys`, never directly: it is copied, not written."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    migrate(url)
    db = Database(url)
    clock.reset()
    with db.transaction() as s:
        keys = {str(k): v for k, v in demo.seed(s).items()}
    db.dispose()  # the last connection closed checkpoints the WAL into the file
    return path, keys


@pytest.fixture
def demo_server(tmp_path: Path, demo_template: tuple[Path, dict[str, str]]) -> Iterator[LiveServer]:
    """A server on a fresh copy of the seeded demo database: what `live_server` plus
    `demo.seed(session)` at the start of the test gave, without seeding again (about 1.5 s a test on
    a loaded machine). The keys are `demo_keys`'s. Further demo steps that need the server's address or
    keyring (`demo.issue_demo_codes`, `seed_complaints`, `seed_insurance`) stay in the test."""
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_template[0], copy)
    yield from _serve(tmp_path, f"sqlite:///{copy}")


@pytest.fixture
def demo_keys(demo_template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """{role: API key} of the demo in `demo_server`'s database (a copy per test, so the test may change it)."""
    return dict(demo_template[1])


@pytest.fixture(scope="session")
def playwright():
    """The one Playwright driver of the session (its sync API allows one at a time): a test that needs a
    browser launched with other switches (a fake camera) launches it from here."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()
