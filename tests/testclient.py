"""Starlette's TestClient with a transport that runs each HTTP request in one call to the client's event
loop thread instead of about eight.

Starlette's own transport (1.x) hands every step of a request across threads through anyio's blocking
portal: two events, a memory stream and a cancel scope made on the loop, the app started, the response
awaited, then each body chunk fetched and the app's task cancelled or joined, each a round trip to the
loop's thread. On this suite's machines a round trip costs a few hundred microseconds of CPU (the GIL and
the wake-ups of two threads), so a request to `/healthz` through it cost about 3 ms of CPU against about
0.1 ms for the app itself (BENCHMARKS.md, "The suite, twelfth pass"). This transport builds the same ASGI
scope, sends the whole request body in the first `http.request` message, runs the app to its end in one
portal call and hands back the whole response; `http.disconnect` is answered once the response's last
body message is sent, as Starlette's does.

What it does not do that Starlette's does: stream a response to the test while the app is still sending
it (every response here is finite: the CSV and export downloads are read whole by their tests), and
websockets, which go to Starlette's transport unchanged. An app's exception is raised in the test as with
`raise_server_exceptions=True`; with False, a request whose app failed before answering gets an empty 500,
and one that failed after answering gets what was sent, as with Starlette's."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import anyio
import httpx
from starlette.testclient import TestClient as _StarletteTestClient
from starlette.testclient import _TestClientTransport
from starlette.types import Message

__all__ = ["TestClient"]


class _OneCallTransport(_TestClientTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scheme = request.url.scheme
        if scheme not in {"http", "https"}:
            return super().handle_request(request)  # websockets: Starlette's session
        port = request.url.port or {"http": 80, "https": 443}[scheme]
        headers: list[tuple[bytes, bytes]] = (
            [] if "host" in request.headers else [(b"host", request.url.netloc)]
        )
        headers += [(key.lower().encode(), value.encode()) for key, value in request.headers.multi_items()]
        scope: dict[str, Any] = {
            "type": "http",
            "http_version": "1.1",
            "method": request.method,
            "path": unquote(request.url.path),
            "raw_path": request.url.raw_path.split(b"?", 1)[0],
            "root_path": self.root_path,
            "scheme": scheme,
            "query_string": request.url.query,
            "headers": headers,
            "client": self.client,
            "server": [request.url.raw_host.decode("ascii"), port],
            "extensions": {"http.response.debug": {}},
            "state": self.app_state.copy(),
        }
        body = request.read()
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        debug: dict[str, Any] = {}
        failure: list[BaseException] = []

        async def run() -> None:
            answered = anyio.Event()
            asked = False

            async def receive() -> Message:
                nonlocal asked
                if not asked:
                    asked = True
                    return {"type": "http.request", "body": body, "more_body": False}
                await answered.wait()
                return {"type": "http.disconnect"}

            async def send(message: Message) -> None:
                kind = message["type"]
                if kind == "http.response.start":
                    assert not start, 'Received multiple "http.response.start" messages.'
                    start.update(message)
                elif kind == "http.response.body":
                    assert start, 'Received "http.response.body" without "http.response.start".'
                    assert not answered.is_set(), 'Received "http.response.body" after response completed.'
                    chunks.append(bytes(message.get("body", b"")))
                    if not message.get("more_body", False):
                        answered.set()
                elif kind == "http.response.debug":
                    debug.update(message["info"])

            try:
                await self.app(scope, receive, send)
            except Exception as exc:  # handed to the test's thread, below (cancellation is not caught)
                failure.append(exc)
            finally:
                answered.set()

        with self.portal_factory() as portal:
            portal.call(run)
        if failure and self.raise_server_exceptions:
            raise failure[0]
        if not start:
            if self.raise_server_exceptions:
                raise AssertionError("TestClient did not receive any response.")
            return httpx.Response(500, headers=[], stream=httpx.ByteStream(b""), request=request)
        content = b"" if request.method == "HEAD" else b"".join(chunks)
        response = httpx.Response(
            start["status"],
            headers=[(key.decode(), value.decode()) for key, value in start.get("headers", [])],
            stream=httpx.ByteStream(content),
            request=request,
        )
        if debug:
            response.extensions["http.response.debug"] = debug
            if "template" in debug:
                response.template = debug["template"]  # type: ignore[attr-defined]
            if "context" in debug:
                response.context = debug["context"]  # type: ignore[attr-defined]
        return response


class TestClient(_StarletteTestClient):
    """`starlette.testclient.TestClient` (FastAPI's), each HTTP request in one round trip to the loop."""

    __test__ = False

    def __init__(self, app: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(app, *args, **kwargs)
        old = self._transport
        assert isinstance(old, _TestClientTransport)
        self._transport = _OneCallTransport(
            old.app,
            portal_factory=old.portal_factory,
            raise_server_exceptions=old.raise_server_exceptions,
            root_path=old.root_path,
            app_state=old.app_state,
            client=old.client,
        )
