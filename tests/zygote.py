"""A fork server for the tests that start many short-lived processes of the platform (the kill -9 tests).

Each `crosstrust` command or server such a test starts as `python -c …` pays the platform's imports
again, about 1.5–2 CPU seconds (every domain's models, contracts and handlers, FastAPI, uvicorn), and a
kill -9 test starts some 25 of them a database. A `Zygote` is one process that makes those imports once
and then forks a child per command: the child is a real process of its own (its own pid, memory,
database connections, files), runs the command's own entry point with the test's argv, environment,
working folder and log file, and is stopped, continued and killed with real signals at any moment, as
before. What it no longer does is import the platform first, which no kill -9 test was about (a kill
still lands in the server's start-up: building the app, its recoveries, its jobs run in the child).

The zygote forks from a single thread with no database connection, socket or file of the platform's
open (it only imports, and checks that no other thread runs), and each child clears the cached
settings so that it reads its own environment.

Protocol (lines on the zygote's stdin and stdout): the test writes one JSON request a line,
`{"call": "module:function", "argv": [...], "env": {...}, "cwd": ..., "out": path}` (or `"code"`, a
program's text, for what `python -c CODE ARGS` ran: argv[0] is then "-c"); the zygote answers
`pid <pid>`, and when a child ends, `exit <pid> <code> <cpu seconds>` (the code as `subprocess` gives
it: negative for a signal).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# What every command and the server import before their own work: imported once, in the zygote.
PRELOAD = (
    "api.app",
    "api.cli",
    "api.cli_codes",
    "api.cli_db",
    "api.cli_intake",
    "uvicorn.main",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.protocols.http.auto",
    "rich.progress",
    "traceability.service",
)


class Forked:
    """A child of the zygote, used as a `subprocess.Popen` is (poll, wait, returncode, signals)."""

    def __init__(self, zygote: Zygote, pid: int, args: list[str]) -> None:
        self.zygote, self.pid, self.args = zygote, pid, args

    @property
    def returncode(self) -> int | None:
        return self.zygote.ended.get(self.pid)

    def poll(self) -> int | None:
        self.zygote.pump(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self.zygote.pump(left)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """The test's side: starts the zygote (with `env` as its environment) and asks it for children."""

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] = PRELOAD) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.zygote", *preload],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout.fileno()
        self._buf = b""
        self.ended: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self._pids: list[int] = []

    def spawn(
        self, call: str, argv: list[str], *, env: dict[str, str], out: Path, cwd: Path = ROOT
    ) -> Forked:
        """A child running `call` ("module:function", which reads `argv` from sys.argv), its stdout and
        stderr appended to `out`."""
        return self._request({"call": call, "argv": argv, "env": env, "cwd": str(cwd), "out": str(out)})

    def run_code(
        self, code: str, args: list[str], *, env: dict[str, str], out: Path, cwd: Path = ROOT
    ) -> Forked:
        """A child running `code` as `python -c code *args` would."""
        request = {"code": code, "argv": ["-c", *args], "env": env, "cwd": str(cwd), "out": str(out)}
        return self._request(request)

    def _request(self, request: dict[str, Any]) -> Forked:
        argv = request["argv"]
        self._in.write(json.dumps(request).encode() + b"\n")
        self._in.flush()
        before = len(self._pids)
        deadline = time.monotonic() + 60
        while len(self._pids) == before:
            assert self.proc.poll() is None, f"the zygote exited with {self.proc.returncode}"
            assert time.monotonic() < deadline, "the zygote did not fork in 60 s"
            self.pump(deadline - time.monotonic())
        return Forked(self, self._pids[-1], argv)

    def pump(self, timeout: float | None) -> None:
        """Reads what the zygote said, waiting at most `timeout` seconds for a first line."""
        sel = selectors.DefaultSelector()
        sel.register(self._out, selectors.EVENT_READ)
        try:
            ready = sel.select(timeout)
        finally:
            sel.close()
        if not ready:
            return
        data = os.read(self._out, 65536)
        if not data:
            raise AssertionError(f"the zygote ended (exit code {self.proc.wait(10)})")
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        for line in lines:
            word, *rest = line.decode().split()
            if word == "pid":
                self._pids.append(int(rest[0]))
            else:
                self.ended[int(rest[0])] = int(rest[1])
                self.cpu[int(rest[0])] = float(rest[2])

    def close(self) -> None:
        """Ends the zygote (its children are the test's to stop first)."""
        with contextlib.suppress(BrokenPipeError):
            self._in.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)


# The zygote's side (`python -m tests.zygote MODULE...`).


def _run(request: dict[str, Any]) -> int:
    """In the child: becomes the command the request names, and returns its exit code."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    settings = sys.modules.get("core.settings")
    if settings is not None:
        settings.get_settings.cache_clear()
    log = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    # As PYTHONUNBUFFERED (the tests' environment) made them: each write reaches the file at once.
    sys.stdout = io.TextIOWrapper(open(1, "wb", buffering=0, closefd=False), write_through=True)  # noqa: SIM115
    sys.stderr = io.TextIOWrapper(
        open(2, "wb", buffering=0, closefd=False),  # noqa: SIM115
        write_through=True,
        errors="backslashreplace",
    )
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.argv = list(request["argv"])
    # Programs name themselves from argv[0] (click), not from the zygote's `-m tests.zygote`.
    sys.modules["__main__"].__spec__ = None
    try:
        if "code" in request:
            exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
        else:
            module, _, name = request["call"].partition(":")
            getattr(importlib.import_module(module), name)()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001 - as the interpreter would: the traceback, exit code 1
        traceback.print_exc()
        return 1
    return 0


def _fork(request: dict[str, Any], keep_closed: list[int]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in keep_closed:
            os.close(fd)
        code = _run(request)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _reap(out: int) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        os.write(out, f"exit {pid} {code} {usage.ru_utime + usage.ru_stime:.3f}\n".encode())


def serve(preload: list[str]) -> None:
    for name in preload:
        importlib.import_module(name)
    from api.wiring import load_handlers

    load_handlers()
    assert threading.active_count() == 1, "the zygote must fork from a single thread"
    out = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    buf = b""
    while True:
        for key, _ in sel.select():
            if key.fd == wake_r:
                os.read(wake_r, 4096)
                continue
            data = os.read(0, 65536)
            if not data:
                return
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                pid = _fork(json.loads(line), [out, wake_r, wake_w, sel.fileno()])
                os.write(out, f"pid {pid}\n".encode())
        _reap(out)


if __name__ == "__main__":
    serve(sys.argv[1:])
