"""The access log: one line per request that keeps no more than the database does.

Uvicorn's access log writes the client's address and the whole query string, and a scan's query
carries the consumer's position (`loc=`) and city, which the database itself only keeps rounded, and
never the address (it keeps a salted hash). This log writes the method, the path, the names of the
query parameters without their values, the status and the duration; `crosstrust serve` turns
uvicorn's own access log off.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from urllib.parse import parse_qsl, quote

log = logging.getLogger("crosstrust.access")

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that narrate their work at INFO: fontTools' subsetter writes some thirty lines (glyph lists,
# then each table) for every font a label sheet or credit report embeds, burying the request lines.
CHATTY = ("fontTools",)

# Percent-encoding everything else keeps a line one line: a path with a newline cannot forge another.
_SAFE = "/:@!$&'()*+,;=-._~"


# What `quote` leaves as it is (its own always-safe characters and _SAFE): a path or name made only of
# these is written without calling it, the common case, since the log line is written for every request.
_UNCHANGED = re.compile(r"[A-Za-z0-9_.~/:@!$&'()*+,;=-]*\Z")
_UNCHANGED_NAME = re.compile(r"[A-Za-z0-9_.~-]*\Z")


def request_line(method: str, path: str, query_string: bytes) -> str:
    """`GET /01/…?17&loc&city`: the query's parameter names only, values of any kind dropped."""
    line = f"{method} {path if _UNCHANGED.match(path) else quote(path, safe=_SAFE)}"
    if query_string:
        text = query_string.decode("latin-1")
        if "%" in text or "+" in text:
            pairs = parse_qsl(text, keep_blank_values=True)
            names = dict.fromkeys(name for name, _ in pairs)
        else:
            # What parse_qsl reads when nothing needs decoding: each name up to its first "=".
            names = dict.fromkeys(pair.partition("=")[0] for pair in text.split("&") if pair)
        if names:
            line += "?" + "&".join(n if _UNCHANGED_NAME.match(n) else quote(n, safe="") for n in names)
    return line


class _Formatter(logging.Formatter):
    """FORMAT's lines as `logging.Formatter` writes them, with the date and time (to the second) made
    once a second instead of once a line: the access log writes a line for every request."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second, text = self._second
        if int(record.created) != second:
            second = int(record.created)
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return f"{text},{int(record.msecs):03d}"  # logging's default_msec_format, "%s,%03d"

    def access_line(self, ns: int, msg: str) -> str:
        """The line `format` writes for an INFO record of the access log made at `ns` (time.time_ns())
        with the message `msg`, without the record: FORMAT's fields filled in directly (tested equal)."""
        second, text = self._second
        if ns // 1_000_000_000 != second:
            second = ns // 1_000_000_000
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return f"{text},{(ns % 1_000_000_000) // 1_000_000:03d} INFO {log.name}: {msg}"


class BatchedStreamHandler(logging.StreamHandler):
    """A StreamHandler that writes its lines in batches: what has gathered, in one write, `interval`
    seconds after the first line not yet written (a timer thread), once `limit` lines wait, at once for
    a line of WARNING or above (with those before it), and on flush and close (logging's shutdown). The
    access log writes a line for every request; a write (a system call, the GIL let go) per line cost
    the scan a few microseconds (BENCHMARKS.md, issue 21 item 9). The lines are StreamHandler's."""

    def __init__(self, stream=None, interval: float = 0.2, limit: int = 256) -> None:  # noqa: ANN001 - a text stream
        super().__init__(stream)
        self.interval = interval
        self.limit = limit
        self._lines: list[str] = []
        self._timer: threading.Timer | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # Called with the handler's lock held (logging.Handler.handle).
        try:
            self._lines.append(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING or len(self._lines) >= self.limit:
                self._write()
            elif self._timer is None:
                self._timer = threading.Timer(self.interval, self.flush)
                self._timer.daemon = True
                self._timer.start()
        except RecursionError:  # as logging's own handlers (issue 36272)
            raise
        except Exception:  # noqa: BLE001 - logging's convention: report, never raise into the caller
            self.handleError(record)

    def emit_line(self, line: str) -> None:
        """An INFO line already formatted (AccessLog's direct way), batched as `emit` batches it."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            try:
                self._lines.append(line + self.terminator)
                if len(self._lines) >= self.limit:
                    self._write()
                elif self._timer is None:
                    self._timer = threading.Timer(self.interval, self.flush)
                    self._timer.daemon = True
                    self._timer.start()
            except Exception:  # noqa: BLE001 - as `emit`: never raise into the caller
                self.handleError(logging.makeLogRecord({"msg": line}))

    def _write(self) -> None:
        lines, self._lines = self._lines, []
        if lines and self.stream:
            self.stream.write("".join(lines))
            self.stream.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._timer = None
            self._write()


def configure_logging(level: int = logging.INFO) -> None:
    """The server's and the worker's log: one line per request (this module) and what the platform
    itself reports; chatty libraries only from WARNING up."""
    handler = BatchedStreamHandler()
    handler.setFormatter(_Formatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


class Records:
    """Access-log records as `Logger.makeRecord` makes them, less `LogRecord.__init__`'s lookups per
    record (the thread, the process, multiprocessing's name, the path's parts; a fifth of a line's
    cost): each is a copy of a record made once per thread, with its own message and time."""

    def __init__(self) -> None:
        self._made: dict[threading.Thread, logging.LogRecord] = {}

    def make(self, msg: str) -> logging.LogRecord:
        thread = threading.current_thread()
        made = self._made.get(thread)
        if made is None:
            if len(self._made) > 64:  # threads come and go (tests); the loop's is made again at once
                self._made.clear()
            made = self._made[thread] = log.makeRecord(log.name, logging.INFO, "", 0, "", (), None)
        ns = time.time_ns()
        record = logging.LogRecord.__new__(logging.LogRecord)
        record.__dict__.update(made.__dict__)
        record.msg = msg
        record.created = ns / 1e9
        record.msecs = (ns % 1_000_000_000) // 1_000_000 + 0.0  # as LogRecord computes it (3.12+)
        record.relativeCreated = made.relativeCreated + (record.created - made.created) * 1000
        return record


def direct_handler() -> BatchedStreamHandler | None:
    """The handler an access line can go to without a record, or None: when the access log reaches
    exactly one handler, the root's BatchedStreamHandler with FORMAT's _Formatter, and nothing on the way
    filters or adds (no filter, no handler of its own, no other root handler: caplog, a test's or an
    operator's handler). Then `log.handle(record)` would do nothing but format FORMAT's line and hand it
    to that handler's `emit`; AccessLog hands it the line itself. Checked for every line (a few
    attribute reads), so a handler added later is seen by the next line."""
    root = logging.root
    handlers = root.handlers
    if len(handlers) != 1 or log.handlers or log.filters or root.filters or log.disabled or not log.propagate:
        return None
    handler = handlers[0]
    if (
        type(handler) is not BatchedStreamHandler
        or handler.filters
        or handler.level > logging.INFO
        or type(handler.formatter) is not _Formatter
        or handler.formatter._fmt != FORMAT
    ):
        return None
    return handler


class AccessLog:
    """ASGI middleware, outermost, so that it times and sees every answer (the scan's fast path too)."""

    def __init__(self, app) -> None:  # noqa: ANN001 - ASGI app
        self.app = app
        self.records = Records()

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def sending(message) -> None:  # noqa: ANN001
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            line = request_line(scope["method"], scope["path"], scope.get("query_string", b""))
            took = (time.perf_counter() - start) * 1000
            msg = f"{line} {status or 500} {took:.1f}ms"
            handler = direct_handler()
            if handler is not None:
                # The server's own logging (configure_logging): the same line, without a record.
                handler.emit_line(handler.formatter.access_line(time.time_ns(), msg))  # type: ignore[union-attr]
            else:
                # `log.info` less its search of the stack for the caller's file and line, which no line
                # of this log shows: the same record (made faster: Records), handled by the same handlers.
                log.handle(self.records.make(msg))
