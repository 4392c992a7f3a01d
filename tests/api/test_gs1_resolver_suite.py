"""GS1's resolver conformance test suite (github.com/gs1/GS1DL-resolver-testsuite), run headless against
the real server: `crosstrust up` in a subprocess behind a TLS-terminating proxy (tests/api/tls_proxy.py),
the suite's own JavaScript under node (tests/data/gs1/resolver_suite.js) and its own helper, tester.php,
served by `php -S`.

The suite needs TLS throughout: its helper refuses any URI that is not https://, and `tlsOK`, `rdFile`
and `httpVersion` ask https://{host} itself. So the server is tested as a deployment runs it: plain HTTP
behind a TLS proxy, CROSSTRUST_RESOLVER_BASE_URL set to the proxy's https:// origin. The proxy's
certificate comes from a throwaway CA that node (NODE_EXTRA_CA_CERTS) and PHP's curl (curl.cainfo) are
told to trust; nothing else of the suite is changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_server import _crosstrust, _free_port
from tests.api.tls_proxy import TlsProxy, make_certificates
from tests.probe import probe

GS1_DATA = Path(__file__).parents[1] / "data" / "gs1"
ROOT = Path(__file__).parents[2]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{name} is missing: scripts/system-deps.sh test installs it")
        pytest.skip(f"{name} is not installed (scripts/system-deps.sh test installs it)")
    return found


def _node_modules() -> Path:
    """The suite's npm packages (Ajv), installed from the committed lockfile into var/ by `npm ci`, once
    per version of the lockfile."""
    lock = (GS1_DATA / "package-lock.json").read_bytes()
    home = ROOT / "var" / "gs1-node" / hashlib.sha256(lock).hexdigest()[:16]
    if not (home / "node_modules" / "ajv" / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(GS1_DATA / name, home / name)
        subprocess.run(  # noqa: S603
            [_tool("npm"), "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=home,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return home / "node_modules"


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            probe.get(url, timeout=2)
            return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"did not start: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, list[str]]]:
    """CrossTrust (demo data) behind a TLS proxy, and the suite's tester.php: (tester URL, CA, scans)."""
    php = _tool("php")
    root = tmp_path_factory.mktemp("gs1-suite")
    ca, cert, key = make_certificates(root)
    port, tls_port, php_port = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    env.update(
        CROSSTRUST_VAR_DIR=str(root / "var"),
        CROSSTRUST_PORT=str(port),
        CROSSTRUST_RESOLVER_BASE_URL=f"https://127.0.0.1:{tls_port}",
        CROSSTRUST_CREDIT_NIGHTLY_AT="",
        PYTHONUNBUFFERED="1",
    )
    for name in ("CROSSTRUST_AUDIT_KEY", "CROSSTRUST_AUDIT_SIGNING_KEY"):
        if name in os.environ:
            env[name] = os.environ[name]
    log, php_log = root / "server.log", root / "php.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            [*_crosstrust(), "up"], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    with php_log.open("wb") as out:
        tester = subprocess.Popen(  # noqa: S603
            [
                php,
                "-d",
                f"curl.cainfo={ca}",
                "-d",
                f"openssl.cafile={ca}",
                "-S",
                f"127.0.0.1:{php_port}",
                "tester.php",
            ],
            cwd=GS1_DATA / "resolver-testsuite",
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with TlsProxy(tls_port, port, cert, key):
            _wait(f"http://127.0.0.1:{port}/healthz", proc, log)
            _wait(f"http://127.0.0.1:{php_port}/tester.php", tester, php_log)
            scans = json.loads((root / "var" / "demo-scans.json").read_text())
            yield f"http://127.0.0.1:{php_port}/tester.php", ca, scans
    finally:
        _stop(tester)
        _stop(proc)


def _suite(tester: str, ca: Path, uri: str) -> dict[str, dict]:
    run = subprocess.run(  # noqa: S603
        [_tool("node"), str(GS1_DATA / "resolver_suite.js"), tester, str(_node_modules()), uri],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(ca)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return {r["id"]: r for r in json.loads(run.stdout)}


def test_gs1_resolver_test_suite_passes_every_check(servers):
    tester, ca, scans = servers
    assert scans[0].startswith("https://")
    for uri in (scans[0], scans[0].partition("?")[0], scans[1]):
        results = _suite(tester, ca, uri)
        not_passed = {k: (r["status"], r["msg"]) for k, r in results.items() if r["status"] != "pass"}
        assert not not_passed, (uri, not_passed)
        # The checks that decide conformance all ran (a check the suite skipped is no pass).
        for check in (
            "validDL",
            "tlsOK",
            "rdFile",
            "httpVersion",
            "corsCheck",
            "methodsCheck",
            "reportWith400",
            "noErrorWith200",
            "basicWalkUp",
            "ltLinksetNoRedirect",
            "ltAcceptHeader",
            "validLinkset",
            "defaultLinkExists",
            "singleDefaulLink",
            "defaultTarget",
            "specificLinkTypeNotFound",
            "qsPassedOn",
            "linkOnRedirect",
            "legacyLinkHeaders",
            "trailingSlash",
            "linksetJsonldCheck",
            "declaredContentType",
            "linkTypesDefined",
            "loForgs1pip",
            "loForgs1verificationService",
        ):
            assert check in results, (uri, check)
