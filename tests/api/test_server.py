"""The real server, as `make run` starts it (`crosstrust up` in a subprocess, SQLite and the embedded
index under a fresh var/): what its log keeps of a consumer's scan, who may set the client address
the rate limit counts, and the modes of the files it leaves on disk."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.probe import probe

LOC = "29.874321,121.549876"  # a consumer's own position, to the metre
CITY = "张三家 幸福路8号"  # free text a consumer app might send
FORWARDED = "203.0.113.77"


@dataclass
class Server:
    base: str
    var: Path
    log: Path
    keys: dict[str, str]
    scans: list[str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _crosstrust() -> list[str]:
    script = Path(sys.executable).with_name("crosstrust")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from api.cli import main; main()"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server")
    var = root / "var"
    # An install from before the modes were narrowed: var/ 0755 and a 0644 database file.
    var.mkdir(mode=0o755)
    os.chmod(var, 0o755)
    (var / "crosstrust.db").touch()
    os.chmod(var / "crosstrust.db", 0o644)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    env.update(
        CROSSTRUST_VAR_DIR=str(var),
        CROSSTRUST_PORT=str(port),
        CROSSTRUST_RESOLVER_BASE_URL=f"http://127.0.0.1:{port}",
        CROSSTRUST_PUBLIC_RATE_LIMIT_PER_MINUTE="60",
        CROSSTRUST_PUBLIC_RATE_LIMIT_BURST="20",
        CROSSTRUST_CREDIT_NIGHTLY_AT="",
        PYTHONUNBUFFERED="1",
    )
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            [*_crosstrust(), "up"], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()[-3000:]}")
            try:
                if probe.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(
            base,
            var,
            log,
            json.loads((var / "demo-keys.json").read_text()),
            json.loads((var / "demo-scans.json").read_text()),
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _asked(path: str, line: str) -> bool:
    """An access line of a GET of this path (the log names a query's parameters after a ?)."""
    return re.search(rf"GET {re.escape(path)}[ ?]", line) is not None


def _log_lines(server: Server, until: Callable[[list[str]], bool]) -> list[str]:
    """The log's lines once `until` holds for them: the server writes a request's line after its answer
    (the deadline only guards against a hang; the assertions after it say what is wrong)."""
    deadline = time.monotonic() + 30
    while True:
        lines = server.log.read_text(errors="replace").splitlines()
        if until(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_the_access_log_of_a_scan_keeps_no_address_and_no_coordinates(server):
    scan = server.scans[0]
    url = f"{scan}&loc={LOC}&city={quote(CITY)}"
    forwarded = {"X-Forwarded-For": FORWARDED}
    r = probe.get(url, headers={"Accept": "application/json", **forwarded}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["scans"]["first_place"] in ("宁波", "")  # never the free text
    # A browser: the resolver's 307 to the scan page (the default link), the query string passed on.
    page = probe.get(url, headers={"Accept": "text/html", **forwarded}, timeout=10, follow_redirects=True)
    assert page.status_code == 200 and [h.status_code for h in page.history] == [307]
    path = scan.removeprefix(server.base).split("?")[0]
    lines = _log_lines(
        server, lambda lines: sum(path in line and "crosstrust.access" in line for line in lines) >= 3
    )
    access = [line for line in lines if "crosstrust.access" in line]
    scans = [line for line in access if path in line]
    # The log is written: one line per request (the JSON scan, the redirect, the page), method, path,
    # status, time.
    assert len(scans) == 3, access
    assert all(re.search(r"GET \S+\?17&loc&city (200|307) \d+\.\dms$", line) for line in scans), scans
    text = "\n".join(lines)
    for secret in ("29.87", "121.54", "121.55", CITY, quote(CITY), "张三", FORWARDED):
        assert secret not in text, secret
    # No client address: uvicorn's access line starts with it, and no access line carries one.
    assert not re.search(r"\d+\.\d+\.\d+\.\d+:\d+ - \"", text)
    assert not any("127.0.0.1" in line for line in access)


def test_the_resolver_over_real_http_head_options_cors_and_encoded_lots(server):
    """GS1-Conformant Resolver behaviour through uvicorn itself: a percent-encoded lot read from the path
    exactly as sent, HEAD without a body, OPTIONS and CORS for browser apps of other parties."""
    import http.client

    scan = server.scans[0]
    path = scan.removeprefix(server.base).split("?")[0]
    gtin = path.split("/")[2]
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        # Sent byte for byte: %2F and %25 are part of the lot, decoded once ("A/B%41"), never split.
        conn.request("GET", f"/01/{gtin}/10/A%2FB%2541/21/X", headers={"Accept": "application/json"})
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 200 and (body["code"]["lot"], body["code"]["serial"]) == ("A/B%41", "X")
        assert body["verdict"]["status"] == "counterfeit"
        conn.request("GET", f"/01/{gtin}/10/A%zz", headers={"Accept": "application/json"})
        r = conn.getresponse()
        assert r.status == 400 and r.getheader("content-type").startswith("application/problem+json")
        r.read()
        conn.request("HEAD", path, headers={"Accept": "text/html"})
        r = conn.getresponse()
        assert r.status == 307 and r.read() == b""
        assert r.getheader("location") == f"{server.base}/scan{path}"
        assert 'rel="linkset"' in r.getheader("link") and r.getheader("access-control-allow-origin") == "*"
        conn.request(
            "OPTIONS", path, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        )
        r = conn.getresponse()
        r.read()
        assert r.status == 204 and r.getheader("access-control-allow-origin") == "*"
        assert {m.strip() for m in r.getheader("access-control-allow-methods").split(",")} == {
            "GET",
            "HEAD",
            "OPTIONS",
        }
        assert "Link" in r.getheader("access-control-expose-headers")
    finally:
        conn.close()


def test_a_rotating_forwarded_header_is_limited_on_the_real_server(server):
    # The server trusts no proxy (CROSSTRUST_TRUSTED_PROXIES is empty): uvicorn's default trusted
    # X-Forwarded-For from loopback, so this client was never limited.
    url = server.base + "/api/v1/public/credit/methodology"
    statuses: list[int] = []
    start = time.monotonic()
    for i in range(1000):  # until the first refusal: a bound against a hang, not a figure
        statuses.append(
            probe.get(url, headers={"X-Forwarded-For": f"198.51.100.{i % 250}"}, timeout=10).status_code
        )
        if statuses[-1] == 429:
            break
    elapsed = time.monotonic() - start
    # A burst of 20 and a token a second: refused once the burst and what refilled meanwhile are spent,
    # however slow the machine (a loaded one refills more between requests, so a fixed count of 50 was
    # not enough there).
    assert statuses[-1] == 429, statuses
    assert statuses.count(200) <= 20 + elapsed + 1, (elapsed, statuses)


def test_var_holds_only_private_files_after_start_up_and_an_export(server):
    regulator = {"Authorization": f"Bearer {server.keys['regulator']}"}
    job = httpx.post(
        server.base + "/api/v1/disclosures/exports", params={"format": "csv"}, headers=regulator, timeout=10
    )
    assert job.status_code == 202, job.text
    for _ in range(100):
        status = probe.get(f"{server.base}/api/v1/disclosures/exports/{job.json()['id']}", headers=regulator)
        if status.json()["status"] != "running":
            break
        time.sleep(0.1)
    assert status.json()["status"] == "done", status.text
    modes = {
        str(p.relative_to(server.var.parent)): stat.S_IMODE(p.stat().st_mode)
        for p in [server.var, *server.var.rglob("*")]
    }
    names = set(modes)
    for expected in (
        "var/crosstrust.db",
        "var/crosstrust.db-wal",
        "var/crosstrust.db-shm",
        "var/search.db",
        "var/code-secret",
        "var/code-root-key",
        "var/audit-key",
        "var/audit-signing-key",
        "var/demo-keys.json",
        "var/demo-scans.json",
        f"var/exports/disclosures-{job.json()['id']}.csv",
    ):
        assert expected in names, sorted(names)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (server.var.parent / name).is_dir() else 0o600)
    }
    assert wrong == {}, wrong


def test_the_log_at_info_is_one_line_per_request_even_for_pdfs(server):
    """Printing embeds a font subset; its library's step-by-step INFO lines must not reach the log."""
    # Earlier tests in this module spend the server's small public budget (20 at once, one a second)
    # of 127.0.0.1: these requests come from another loopback address, a client with its own budget, so
    # that the one public request measured here is not refused (no wait for the budget to refill).
    merchant = {"Authorization": f"Bearer {server.keys['merchant']}"}
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60)
    with other:
        me = other.get(server.base + "/api/v1/me", headers=merchant).json()["enterprise_id"]
        uscc = other.get(f"{server.base}/api/v1/enterprises/{me}", headers=merchant).json()["uscc"]
        before = len(
            _log_lines(server, lambda lines: any(_asked(f"/api/v1/enterprises/{me}", x) for x in lines))
        )
        requests = [
            (f"/credit/{uscc}/report.pdf", {}, 200),
            (f"/api/v1/enterprises/{me}/code-batches/1/labels.pdf?limit=3", merchant, 200),
            ("/healthz", {}, 200),
            ("/api/v1/no-such-thing", {}, 404),
        ]
        for path, headers, status in requests:
            r = other.get(server.base + path, headers=headers)
            assert r.status_code == status, (path, r.text[:300])
    paths = [path.split("?")[0] for path, _, _ in requests]
    lines = _log_lines(server, lambda lines: all(any(_asked(p, x) for x in lines[before:]) for p in paths))
    lines = lines[before:]
    assert not [line for line in lines if "fontTools" in line], lines[:10]
    for path, _, _ in requests:
        logged = path.split("?")[0]
        assert sum(f"GET {logged}" in line for line in lines) == 1, (path, lines)
    # Nothing else in between: each line is a request's.
    assert all(" INFO crosstrust.access: GET " in line for line in lines), lines


def test_make_run_prints_a_scan_of_every_verdict_from_several_importers(server):
    """`make run`'s printed scan URLs show the range: each verdict, importers of grades A to C and one on
    the black list; the note beside each URL is what a scan of it answers."""
    text = server.log.read_text(errors="replace")
    printed = re.findall(r"^\s+(http://\S+/01/\S+)\s+\((.+)\)$", text, flags=re.M)
    assert [url for url, _ in printed] == server.scans
    verdicts, importers = {}, {}
    for url, note in printed:
        for _ in range(5):  # this server's public rate limit is low (20 at once): wait when told to
            r = probe.get(url, headers={"Accept": "application/json"}, timeout=10)
            if r.status_code != 429:
                break
            time.sleep(float(r.headers["Retry-After"]))
        assert r.status_code == 200, r.text
        s = r.json()
        verdicts[s["verdict"]["status"]] = note
        assert note.startswith(
            {"not_shipped": "not yet shipped", "revoked": "code revoked"}.get(
                s["verdict"]["status"], s["verdict"]["status"]
            )
        ), (note, s["verdict"])
        if s["enterprise"]:
            credit = s["enterprise"]["credit"]
            importers[s["enterprise"]["uscc"]] = (credit["grade"], credit["list"])
    assert set(verdicts) == {
        "genuine",
        "not_shipped",
        "suspicious",
        "recalled",
        "revoked",
        "counterfeit",
        "unverified",
    }
    assert {grade for grade, _ in importers.values()} == {"A", "B", "C", "D"}
    assert ("D", "black") in importers.values() and ("A", "red") in importers.values()


def _sign_in(base: str, url: str, key: str) -> httpx.Response:
    with httpx.Client(base_url=base) as http:
        http.get("/signin")
        token = http.cookies["csrftoken"]
        signed = http.post("/signin", data={"key": key, "csrftoken": token, "next": url.removeprefix(base)})
        assert signed.status_code == 303, signed.text
        return http.get(signed.headers["location"])


def test_up_prints_console_merchant_and_insurer_urls_that_sign_in(server):
    """`make run` (`crosstrust up`) prints the console, merchant and insurer URLs with the demo keys, and
    all work: the printed key signs in on the printed URL. (This server's own start-up output: a second
    `crosstrust up` of its own cost a demo seeding more.)"""
    printed = {
        m.group(1): (m.group(2), m.group(3))
        for m in re.finditer(
            r"^\s*(Console|Merchant|Insurer)\s+(\S+)\s+sign in with the \w+ key (\S+)$",
            server.log.read_text(errors="replace"),
            flags=re.M,
        )
    }
    assert set(printed) == {"Console", "Merchant", "Insurer"}, printed
    console_url, regulator_key = printed["Console"]
    merchant_url, merchant_key = printed["Merchant"]
    insurer_url, insurer_key = printed["Insurer"]
    base = server.base
    assert (console_url, merchant_url, insurer_url) == (
        f"{base}/console",
        f"{base}/merchant",
        f"{base}/insurer",
    )
    assert {regulator_key, merchant_key, insurer_key} <= set(server.keys.values())
    page = _sign_in(base, console_url, regulator_key)
    assert page.status_code == 200 and "公示信息检索" in page.text
    page = _sign_in(base, merchant_url, merchant_key)
    assert page.status_code == 200 and 'data-table="declarations"' in page.text
    page = _sign_in(base, insurer_url, insurer_key)
    assert page.status_code == 200 and 'data-table="portfolio"' in page.text
    home = probe.get(f"{base}/", timeout=10).text
    assert 'href="/console"' in home and 'href="/merchant"' in home
