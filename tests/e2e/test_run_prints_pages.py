"""`make run` (`crosstrust up`) prints the console, merchant and insurer URLs with the demo keys, and all
work: the printed key signs in on the printed URL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sign_in(base: str, url: str, key: str) -> httpx.Response:
    with httpx.Client(base_url=base) as http:
        http.get("/signin")
        token = http.cookies["csrftoken"]
        signed = http.post("/signin", data={"key": key, "csrftoken": token, "next": url.removeprefix(base)})
        assert signed.status_code == 303, signed.text
        return http.get(signed.headers["location"])


def test_up_prints_console_and_merchant_urls_that_sign_in(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "CROSSTRUST_VAR_DIR": str(tmp_path / "var"),
        "CROSSTRUST_DATABASE_URL": "",
        "CROSSTRUST_SEARCH_URL": "",
        "CROSSTRUST_PORT": str(port),
        "CROSSTRUST_AUDIT_KEY": os.environ["CROSSTRUST_AUDIT_KEY"],
        "CROSSTRUST_AUDIT_SIGNING_KEY": os.environ["CROSSTRUST_AUDIT_SIGNING_KEY"],
        "COLUMNS": "400",
    }
    cli = Path(sys.executable).parent / "crosstrust"
    proc = subprocess.Popen(
        [str(cli), "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
    try:
        printed: dict[str, tuple[str, str]] = {}
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while len(printed) < 3:
            assert time.monotonic() < deadline, "crosstrust up never printed the page URLs"
            line = proc.stdout.readline()
            assert line, "crosstrust up stopped before printing the page URLs"
            m = re.match(r"\s*(Console|Merchant|Insurer)\s+(\S+)\s+sign in with the \w+ key (\S+)", line)
            if m:
                printed[m.group(1)] = (m.group(2), m.group(3))
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        console_url, regulator_key = printed["Console"]
        merchant_url, merchant_key = printed["Merchant"]
        assert console_url == f"{base}/console" and merchant_url == f"{base}/merchant"
        page = _sign_in(base, console_url, regulator_key)
        assert page.status_code == 200 and "公示信息检索" in page.text
        page = _sign_in(base, merchant_url, merchant_key)
        assert page.status_code == 200 and 'data-table="declarations"' in page.text
        insurer_url, insurer_key = printed["Insurer"]
        assert insurer_url == f"{base}/insurer"
        page = _sign_in(base, insurer_url, insurer_key)
        assert page.status_code == 200 and 'data-table="portfolio"' in page.text
        home = httpx.get(f"{base}/").text
        assert 'href="/console"' in home and 'href="/merchant"' in home
    finally:
        proc.terminate()
        proc.wait(20)
