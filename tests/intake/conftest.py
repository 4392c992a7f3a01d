"""Intake's shared fixtures: an agency's receiver on loopback (distribution's tests), and the shell."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.traceability.conftest import cli  # noqa: F401 - the `crosstrust` CLI on the test's database


class Receiver:
    """An agency's endpoint on loopback: answers each POST with the next status of `statuses` (then 204),
    and keeps what it received with the status it answered."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                status = outer.statuses.pop(0) if outer.statuses else 204
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/intake"

    def taken(self) -> list[tuple[dict[str, str], dict]]:
        """What it accepted (2xx), as (headers, parsed body)."""
        return [(h, json.loads(b)) for h, b, status in self.received if 200 <= status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made = [Receiver() for _ in range(4)]
    yield made
    for r in made:
        r.close()
