"""Browser tests: a real uvicorn server on loopback and Debian's Chromium driven headless by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import NamedTuple

import pytest
import uvicorn

from api.app import create_app
from core.db import Database
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
    path = (
        os.environ.get("CROSSTRUST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        if IN_CI:
            pytest.fail("CI must run the browser tests: Debian's chromium is not installed")
        pytest.skip("chromium not installed (make test installs it)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(tmp_path, sqlite_url) -> Iterator[LiveServer]:
    from tests.conftest import _truncate

    db = Database(sqlite_url)
    _truncate(db)
    port = _free_port()
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=sqlite_url,
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
