"""The access log's request line: the fast way (nothing to encode or decode) writes what the general
way (quote and parse_qsl) writes, so that a line never depends on which way it took."""

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
