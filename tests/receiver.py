"""A webhook receiver on loopback for the tests that send webhooks (complaints' merchants, intake's
agencies): the tests' settings allow 127.0.0.0/8 as the operator's network."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def taken(self) -> list[tuple[dict[str, str], dict]]:
        """What it accepted (2xx), as (headers, parsed body)."""
        return [(h, json.loads(b)) for h, b, status in self.received if 200 <= status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
