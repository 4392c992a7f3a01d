"""The access log's request line: the fast way (nothing to encode or decode) writes what the general
way (quote and parse_qsl) writes, so that a line never depends on which way it took."""

import asyncio
from urllib.parse import parse_qsl, quote

import pytest

from api.accesslog import _SAFE, request_line


def general(method: str, path: str, query_string: bytes) -> str:
    """The line as written before the fast way was added (always through quote and parse_qsl)."""
    line = f"{method} {quote(path, safe=_SAFE)}"
    if query_string:
        names = dict.fromkeys(n for n, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
        if names:
            line += "?" + "&".join(quote(n, safe="") for n in names)
    return line


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/01/04001234599991/10/BENCH2611/21/1WKX8NGXNT2473G2MBE4", b"17=281130"),
        ("/01/04001234599991/10/A B/21/X", b"17=281130&loc=29.87,121.54&city=x"),
        ("/scan/01/1/10/批次", "city=宁波&loc".encode()),
        ("/a\nb", b"a=1&&b&=c&a=2"),
        ("/p%41", b"k=%zz&k+2=1&l%0Ag=1"),
        ("/q", b"&&"),
        ("/q", b"n\xe9=1&sp ace=1;x=2"),
        ("/", b""),
    ],
)
def test_the_fast_way_writes_the_same_line(path, query):
    assert request_line("GET", path, query) == general("GET", path, query)


def test_values_never_reach_the_line():
    line = request_line("GET", "/01/1/21/X", b"17=281130&loc=29.87,121.54&city=%E5%AE%81")
    assert line == "GET /01/1/21/X?17&loc&city"
    assert "\n" not in request_line("GET", "/a\nb", b"x\ny=1")


def test_the_access_log_formatter_writes_what_loggings_own_writes():
    """The formatter made once a second writes each line as logging.Formatter(FORMAT) does."""
    import logging

    from api.accesslog import FORMAT, _Formatter

    ours, theirs = _Formatter(FORMAT), logging.Formatter(FORMAT)
    for created in (
        1_765_000_000.0,
        1_765_000_000.0009,
        1_765_000_000.5,
        1_765_000_001.999,
        1_765_000_000.25,
    ):
        record = logging.LogRecord("crosstrust.access", logging.INFO, "", 0, "GET /x 200 0.1ms", (), None)
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        assert ours.format(record) == theirs.format(record)


def test_a_fast_record_is_loggings_own_but_for_its_message_and_time():
    """Records.make copies a record made once per thread: every field but the message and the time is
    what Logger.makeRecord gives, the time is the record's own, and the line written is the same."""
    import logging
    import threading
    import time

    from api.accesslog import FORMAT, Records, _Formatter, log

    records = Records()
    before = time.time()
    ours = records.make("GET /x 200 0.1ms")
    theirs = log.makeRecord(log.name, logging.INFO, "", 0, "GET /x 200 0.1ms", (), None)
    assert ours.__dict__.keys() == theirs.__dict__.keys()
    timed = ("created", "msecs", "relativeCreated")
    assert {k: v for k, v in ours.__dict__.items() if k not in timed} == {
        k: v for k, v in theirs.__dict__.items() if k not in timed
    }
    assert before <= ours.created <= theirs.created
    assert 0 <= ours.msecs < 1000 and abs(ours.msecs - (ours.created % 1) * 1000) < 1.01
    assert abs(ours.relativeCreated - theirs.relativeCreated) < 1000 * (theirs.created - before) + 1
    theirs.created, theirs.msecs, theirs.relativeCreated = ours.created, ours.msecs, ours.relativeCreated
    assert _Formatter(FORMAT).format(ours) == logging.Formatter(FORMAT).format(theirs)
    # Each record is its own: a later one has its own message and time, the first keeps its.
    later = records.make("GET /y 404 0.2ms")
    assert (ours.getMessage(), later.getMessage()) == ("GET /x 200 0.1ms", "GET /y 404 0.2ms")
    assert later.created >= ours.created
    # A record made on another thread names that thread, as logging's own would.
    seen = []
    worker = threading.Thread(target=lambda: seen.append(records.make("GET /z 200 0.1ms")), name="other")
    worker.start()
    worker.join()
    assert (seen[0].threadName, seen[0].thread) == ("other", worker.ident)


def test_the_batched_handler_writes_streamhandlers_lines_later_and_in_one_go():
    """The same text as a StreamHandler's, written when the interval has passed, `limit` lines wait, a
    warning comes, or on flush; nothing is lost or reordered."""
    import io
    import logging
    import threading

    from api.accesslog import FORMAT, BatchedStreamHandler, _Formatter

    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            return super().write(text)

    def record(msg: str, level: int = logging.INFO) -> logging.LogRecord:
        return logging.LogRecord("crosstrust.access", level, "", 0, msg, (), None)

    batched, plain = Counting(), io.StringIO()
    ours = BatchedStreamHandler(batched, interval=3600, limit=3)
    theirs = logging.StreamHandler(plain)
    for handler in (ours, theirs):
        handler.setFormatter(_Formatter(FORMAT))
    lines = [record(f"GET /{i} 200 0.1ms") for i in range(5)]
    for r in lines[:2]:
        ours.handle(r)
        theirs.handle(r)
    assert batched.getvalue() == ""  # waiting: not yet the interval, nor the limit
    ours.handle(lines[2])
    theirs.handle(lines[2])
    assert (batched.getvalue(), batched.writes) == (plain.getvalue(), 1)  # the limit: three in one write
    ours.handle(lines[3])
    theirs.handle(lines[3])
    warning = record("the writer is behind", logging.WARNING)
    ours.handle(warning)
    theirs.handle(warning)
    assert (batched.getvalue(), batched.writes) == (
        plain.getvalue(),
        2,
    )  # a warning: at once, with the line before
    ours.handle(lines[4])
    theirs.handle(lines[4])
    ours.flush()
    assert batched.getvalue() == plain.getvalue()
    ours.close()
    # With a short interval the timer writes what waits, without another line or a flush.
    timed = io.StringIO()
    handler = BatchedStreamHandler(timed, interval=0.01, limit=100)
    handler.setFormatter(_Formatter(FORMAT))
    written = threading.Event()
    original = handler._write

    def write() -> None:
        original()
        if timed.getvalue():
            written.set()

    handler._write = write  # type: ignore[method-assign]
    handler.handle(lines[0])
    assert written.wait(10)
    assert timed.getvalue().endswith("GET /0 200 0.1ms\n")
    handler.close()


def test_the_direct_line_is_the_records_line():
    """AccessLog's direct way (no record) writes what the record's way writes: `access_line` is
    FORMAT's line of an INFO record of the access log made at the same time."""
    import logging

    from api.accesslog import FORMAT, _Formatter, log

    ours, theirs = _Formatter(FORMAT), logging.Formatter(FORMAT)
    # (Not within a float's rounding of a whole second: there `created`, a float, is the next second,
    # and the record's line says so with msecs 999; the direct line keeps the second of the nanoseconds.)
    times = (
        1_765_000_000_000_000_000,
        1_765_000_000_000_900_000,
        1_765_000_000_999_000_000,
        1_765_000_001_5 * 10**8,
    )
    for ns in times:
        record = logging.LogRecord(log.name, logging.INFO, "", 0, "GET /x 200 0.1ms", (), None)
        record.created, record.msecs = ns / 1e9, (ns % 1_000_000_000) // 1_000_000 + 0.0
        assert ours.access_line(ns, "GET /x 200 0.1ms") == theirs.format(record)


def test_the_direct_way_only_when_nothing_else_would_see_the_line(caplog):
    """The direct way is taken only when the server's one batched handler would get the line; a handler
    added (caplog, an operator's), a filter, a level above INFO or another format: the record's way."""
    import io
    import logging

    from api.accesslog import FORMAT, BatchedStreamHandler, _Formatter, direct_handler, log

    root = logging.getLogger()
    saved = root.handlers[:]
    ours = BatchedStreamHandler(io.StringIO(), interval=3600)
    ours.setFormatter(_Formatter(FORMAT))
    try:
        root.handlers[:] = [ours]
        assert direct_handler() is ours
        checks = [
            (lambda: root.addHandler(logging.NullHandler()), lambda: root.handlers.pop()),
            (lambda: log.addFilter(lambda r: True), lambda: log.filters.clear()),
            (lambda: ours.addFilter(lambda r: True), lambda: ours.filters.clear()),
            (lambda: ours.setLevel(logging.WARNING), lambda: ours.setLevel(logging.NOTSET)),
            (
                lambda: ours.setFormatter(_Formatter("%(message)s")),
                lambda: ours.setFormatter(_Formatter(FORMAT)),
            ),
            (
                lambda: ours.setFormatter(logging.Formatter(FORMAT)),
                lambda: ours.setFormatter(_Formatter(FORMAT)),
            ),
            (lambda: log.addHandler(logging.NullHandler()), lambda: log.handlers.clear()),
            (lambda: setattr(log, "propagate", False), lambda: setattr(log, "propagate", True)),
        ]
        for change, undo in checks:
            change()
            assert direct_handler() is None
            undo()
            assert direct_handler() is ours
    finally:
        root.handlers[:] = saved


def _run(coro) -> None:  # noqa: ANN001 - a coroutine
    """Run it on a thread of its own: the worker's own thread may hold a running loop already (an
    earlier browser test's, Playwright's sync API), where asyncio.run refuses to start another."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def test_access_log_lines_are_the_same_either_way():
    """Through AccessLog, a request's line by the direct way and by the record's way (a filter that
    passes everything turns the direct way off) is the same text but for its time."""
    import io
    import logging
    import re

    from api.accesslog import FORMAT, AccessLog, BatchedStreamHandler, _Formatter, log

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def noop(message):
        return None

    scope = {"type": "http", "method": "GET", "path": "/01/1/21/X", "query_string": b"17=1&loc=2,3"}
    root = logging.getLogger()
    saved, level = root.handlers[:], log.level
    out = io.StringIO()
    ours = BatchedStreamHandler(out, interval=3600)
    ours.setFormatter(_Formatter(FORMAT))
    try:
        root.handlers[:] = [ours]
        log.setLevel(logging.INFO)
        _run(AccessLog(app)(scope, None, noop))  # direct
        log.addFilter(lambda r: True)
        _run(AccessLog(app)(scope, None, noop))  # through a record
        log.filters.clear()
        ours.flush()
    finally:
        root.handlers[:] = saved
        log.setLevel(level)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    shape = (
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO crosstrust\.access: GET /01/1/21/X\?17&loc 200 \d+\.\dms"
    )
    assert all(re.fullmatch(shape, line) for line in lines), lines
    assert [line[24:].rsplit(" ", 1)[0] for line in lines] == [lines[0][24:].rsplit(" ", 1)[0]] * 2
