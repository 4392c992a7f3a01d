"""A webhook receiver on loopback for the tests that send webhooks (complaints' merchants, intake's
agencies): the tests' settings allow 127.0.0.0/8 as the operator's network."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer

# How often a test's HTTP server's loop looks for a shutdown request. `shutdown()` waits for that look:
# at socketserver's default (0.5 s) stopping the four receivers of an intake test took 1-2 s a test.
POLL = 0.02


def serve_in_thread(server: BaseServer) -> threading.Thread:
    """`server.serve_forever()` on a daemon thread, answering `shutdown()` within `POLL` seconds."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL}, daemon=True)
    thread.start()
    return thread


class Receiver:
    """A webhook endpoint on loopback (a merchant's, an agency's): answers each POST with the next status
    of `statuses`, then with `status` (204), and keeps what it received with the status it answered."""

    def __init__(self, path: str = "/hooks/intake") -> None:
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self.statuses: list[int] = []
        self.status = 204
        self.path = path
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                status = outer.statuses.pop(0) if outer.statuses else outer.status
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = serve_in_thread(self.server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def taken(self) -> list[tuple[dict[str, str], dict]]:
        """What it accepted (2xx), as (headers, parsed body)."""
        return [(h, json.loads(b)) for h, b, status in self.received if 200 <= status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
