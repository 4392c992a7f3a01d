"""The scan's fast path: an ASGI middleware that answers the plain JSON scan (the consumer apps'
request) straight from the scope, ahead of routing, and makes every resolver path answer as a
GS1-conformant resolver must (CORS, OPTIONS, compressed links)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import scan_pg
from api.deps import client_address, refuse_if
from api.metrics import Metrics
from api.problems import problem
from api.resolver_links import (
    CORS,
    PREFLIGHT,
    BadDigitalLink,
    anchor_of,
    link_header,
    parse_scope,
    raw_path,
)
from core.clock import utcnow
from core.db import WouldBlock
from core.errors import DomainError, RateLimited
from traceability.codes import (
    CodeError,
    DigitalLink,
    uncompress,
)
from traceability.places import Client
from traceability.scan import OWN_READS, UNREAD
from traceability.verdict import CodeRow


def client_of(request: Request) -> Client:
    return Client.from_request(
        request.app.state.client_salt,
        client_address(request),
        request.headers.get("user-agent", ""),
        request.query_params.get("city"),
        request.query_params.get("loc"),
    )


def mark(response: Response, verdict: str) -> None:
    """Attach the scan's verdict to its response, for the scan metrics (`_scan` reads it back)."""
    response.__dict__["verdict"] = verdict


def query_of(raw: bytes) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The query string as Starlette reads it (keep blank values, the last value of a name wins), and
    its AIs (the names of all digits) in order with any repeat kept, for GS1's rules to check; split by
    hand when nothing in it needs decoding, as in the `?17=YYMMDD` of a printed code."""
    if not raw:
        return {}, []
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        pairs = parse_qsl(text, keep_blank_values=True)
    else:
        pairs = [pair.partition("=")[::2] for pair in text.split("&") if pair]
    return dict(pairs), [(k, v) for k, v in pairs if k.isdigit()]


_VARY = (b"vary", b"Accept, Accept-Language")
_JSON_TYPE = (b"content-type", b"application/json")
# Paths a compressed Digital Link could have: one segment of base64url (GS1 Digital Link 1.2 §8).
_COMPRESSED_PATH = re.compile(r"^/[A-Za-z0-9_-]{10,300}$")
_METHODS = ("GET", "HEAD", "OPTIONS")


def _is_resolver_path(path: str) -> bool:
    return path.startswith(("/01/", "/scan/01/")) or path == "/.well-known/gs1resolver"


# What answers a resolver request the fast path does not answer itself.
Endpoint = Callable[[Request], Awaitable[Response]]


class ScanFastPath:
    """ASGI middleware that answers GET /01/… itself, ahead of routing and the other middleware.

    The scan is what the public hits; Starlette's routing, FastAPI's per-route machinery and the
    generic metrics would cost more than the scan. A plain JSON scan (the consumer apps' request)
    is read straight from the ASGI scope and answered with raw ASGI messages; the redirects, the page,
    the linkset and the link types go through `endpoint` (the router's `scan_endpoint`). Errors still become problem documents,
    and the scan keeps its own metrics (crosstrust_scans_total by verdict, crosstrust_scan_seconds).

    It also makes every resolver path answer as a GS1-conformant resolver must: CORS headers on every
    answer, OPTIONS, and a compressed Digital Link (`/{base64url}`) answered as its uncompressed URI."""

    def __init__(self, app, metrics: Metrics, endpoint: Endpoint) -> None:  # noqa: ANN001 - ASGI app
        self.app = app
        self.endpoint = endpoint  # the routed resolver (api.routers.resolver.scan_endpoint)
        self.scans = metrics.scans
        self.seconds = metrics.scan_seconds
        self._by_verdict: dict[str, Any] = {}  # label lookups cost more than the counting
        self._routes: set[str] | None = None

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if not path.startswith("/01/"):
            if _is_resolver_path(path):
                await self._other(scope, receive, send)
            elif _COMPRESSED_PATH.match(path) and not self._is_route(scope, path):
                await self._compressed(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        if path.count("/") == 3 and await self._compressed(scope, receive, send, partial=True):
            return  # /01/{gtin}/{base64url}: the GTIN uncompressed, the rest compressed
        if scope["method"] == "OPTIONS":
            await self._options(scope, send)
            return
        await self._scan(scope, receive, send)

    def _is_route(self, scope, path: str) -> bool:  # noqa: ANN001
        if self._routes is None:
            self._routes = {getattr(r, "path", "") for r in scope["app"].routes}
        return path in self._routes

    async def _other(self, scope, receive, send) -> None:  # noqa: ANN001
        """The scan page's path and the description file: routed as usual, with CORS added."""
        if scope["method"] == "OPTIONS":
            await self._options(scope, send)
            return
        await self.app(scope, receive, with_cors(send))

    async def _options(self, scope, send, header: str | None = None) -> None:  # noqa: ANN001
        headers = [*CORS, *PREFLIGHT]
        if header is None and scope["path"].startswith("/01/"):
            try:
                link = parse_scope(scope, [])
            except BadDigitalLink:
                link = None
            if link is not None:
                header = link_header(anchor_of(link, scope["app"].state.settings.resolver_base_url))
        if header:
            headers.append((b"link", header.encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _compressed(self, scope, receive, send, partial: bool = False) -> bool:  # noqa: ANN001
        """A compressed Digital Link (all of it, or all but the GTIN): answered as the uncompressed URI
        it stands for, that request in its place (so that it is parsed and checked as any other), with
        a Link header naming it (owl:sameAs). False for a partial path that does not decode (the caller
        goes on: it is a bad uncompressed link); a whole path that does not decode goes on to the app
        (a 404)."""
        try:
            found = uncompress(raw_path(scope))
        except CodeError as exc:
            response = problem_of(
                BadDigitalLink(f"not a valid GS1 Digital Link: {exc.reason}", field=exc.field), scope
            )
            await response(scope, receive, with_cors(send))
            return True
        if found is None:
            if partial:
                return False
            await self.app(scope, receive, send)
            return True
        path, query = found
        sent = scope["query_string"].decode("latin-1")
        query = "&".join(q for q in (query, sent) if q)
        base = scope["app"].state.settings.resolver_base_url
        same_as = base.rstrip("/") + path + (f"?{query}" if query else "")
        scope = {
            **scope,
            "path": unquote(path),
            "raw_path": path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "crosstrust.same_as": same_as,
        }
        if scope["method"] == "OPTIONS":
            try:
                link = parse_scope(scope, [])
            except BadDigitalLink:
                link = None
            header = link_header(anchor_of(link, base), same_as) if link is not None else None
            await self._options(scope, send, header)
            return True
        await self._scan(scope, receive, send)
        return True

    async def _scan(self, scope, receive, send) -> None:  # noqa: ANN001
        start = time.perf_counter()
        verdict = "error"
        try:
            answer = await self._json(scope)
            if answer is None:
                response = await self.endpoint(Request(scope, receive))
                verdict = getattr(response, "verdict", verdict)
        except DomainError as exc:
            answer = None
            response = problem_of(exc, scope)
        if answer is None:
            await response(scope, receive, with_cors(send))
        else:
            body, headers, verdict, status = answer
            # The CORS headers go straight into the JSON answer's own list (fresh per answer): wrapping
            # `send` copies the message and its headers, which the scan's hot path does not need to pay.
            headers += CORS
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        counter = self._by_verdict.get(verdict)
        if counter is None:
            counter = self._by_verdict[verdict] = self.scans.labels(verdict)
        counter.inc()
        self.seconds.observe(time.perf_counter() - start)

    async def _json(self, scope) -> tuple[bytes, list[tuple[bytes, bytes]], str, int] | None:  # noqa: ANN001
        """The plain JSON scan, read straight from the scope, or None for anything else (the page, the
        linkset, the link types: `scan_endpoint`). What it reads must match what `_resolve` reads from
        a Starlette Request (tests/traceability/test_scan.py compares the two answers)."""
        params, attributes = query_of(scope["query_string"])
        if "linkType" in params:
            return None
        accept = ""
        agent = ""
        for name, value in scope["headers"]:
            if name == b"accept":
                if not accept:
                    accept = value.decode("latin-1")
            elif name == b"user-agent" and not agent:
                agent = value.decode("latin-1")
        if "application/json" not in accept or "text/html" in accept or "application/linkset+json" in accept:
            return None
        state = scope["app"].state
        client = scope.get("client")
        address = client[0] if client else "unknown"
        same_as = scope.get("crosstrust.same_as")
        if state.scan_statements is not None:
            return await _json_postgres(state, scope, attributes, address, agent, params, same_as)
        limiter = state.rate_limiter
        # The in-process limiter does no I/O: called directly, without a coroutine per scan.
        wait = limiter.take(address) if limiter.in_process else await limiter.atake(address)
        refuse_if(wait)
        link = parse_scope(scope, attributes)
        who = Client.from_request(state.client_salt, address, agent, params.get("city"), params.get("loc"))
        if state.db.is_sqlite:
            return json_answer(state, link, who, same_as)
        return await run_in_threadpool(json_answer, state, link, who, same_as)


async def _json_postgres(  # noqa: ANN001, PLR0913 - the parts of the request `_json` read
    state, scope, attributes, address: str, agent: str, params: dict, same_as: str | None
) -> tuple[bytes, list[tuple[bytes, bytes]], str, int]:
    """`_json` on PostgreSQL: the rate limit and the code row in one statement from the event loop
    (api.scan_pg), the rest on the loop unless it needs another read. The answers are `_json`'s:
    a refused token first (429), then a link that does not parse (400)."""
    try:
        link, bad = parse_scope(scope, attributes), None
    except BadDigitalLink as exc:
        link, bad = None, exc
    serial = state.resolver.serial_to_read(link) if link is not None else None
    limiter = state.rate_limiter
    row = UNREAD
    if limiter.in_process:
        wait = limiter.take(address)
        if not wait and serial is not None:
            row = await scan_pg.read_row(state.scan_statements, serial)
    else:
        try:
            wait, found = await scan_pg.take_and_read(state.scan_statements, limiter, address, serial)
            row = found if serial is not None else UNREAD
        except scan_pg.Unanswered:
            wait = 0
    refuse_if(wait)
    if bad is not None:
        raise bad
    assert link is not None
    who = Client.from_request(state.client_salt, address, agent, params.get("city"), params.get("loc"))
    try:
        return json_answer(state, link, who, same_as, row=row, io=False)
    except WouldBlock as exc:
        if exc.args and exc.args[0] in OWN_READS:
            return await run_in_threadpool(json_answer, state, link, who, same_as, row=row)
        return await _after_refresh(state, link, who, same_as, row)


async def _after_refresh(state, link: DigitalLink, who: Client, same_as: str | None, row: CodeRow | None):  # noqa: ANN001, ANN202
    """The answer when a cache every scan shares is due (the shared generation every 0.5 s, a lot's
    facts every 5 s): one scan makes its answer on the thread pool, which reads the cache again; the
    scans that meet the same due cache meanwhile wait for it on the loop, then answer from the fresh
    cache on the loop. Before, each of them went to the thread pool and read the same rows again, a
    burst of threads fighting the loop for the GIL: the scan's slowest 1-2 % (BENCHMARKS.md, issue
    22, 2026-12-07). Nothing is answered from a stale entry: a waiting scan that still finds a cache
    due goes to the thread pool as before."""
    loop = asyncio.get_running_loop()
    pending = state.scan_refresh
    if pending is not None and pending.get_loop() is loop and not pending.done():
        # Returns however the refreshing scan ends (its error or cancellation is its own answer).
        await asyncio.wait((pending,))
        try:
            return json_answer(state, link, who, same_as, row=row, io=False)
        except WouldBlock:
            return await run_in_threadpool(json_answer, state, link, who, same_as, row=row)
    task = loop.create_task(run_in_threadpool(json_answer, state, link, who, same_as, row=row))
    state.scan_refresh = task
    try:
        return await task
    finally:
        if state.scan_refresh is task:
            state.scan_refresh = None


def problem_of(exc: DomainError, scope) -> Response:  # noqa: ANN001
    return problem(
        exc.status,
        exc.title,
        exc.detail,
        slug=exc.slug,
        instance=scope["path"],
        errors=[e.as_dict() for e in exc.errors],
        headers={"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None,
    )


def with_cors(send):  # noqa: ANN001, ANN202 - ASGI
    async def sender(message) -> None:  # noqa: ANN001
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *CORS]}
        await send(message)

    return sender


def json_answer(  # noqa: ANN001, PLR0913
    state,
    link: DigitalLink,
    who: Client,
    same_as: str | None = None,
    row: CodeRow | None = UNREAD,
    io: bool = True,
) -> tuple[bytes, list, str, int]:
    """The JSON scan's answer; `row` and `io` as `Resolver.resolve` takes them (with `io` false, nothing
    is recorded before the answer is made, so that WouldBlock leaves nothing half done)."""
    base = state.settings.resolver_base_url
    now = utcnow()
    outcome = state.resolver.resolve(link, who, now, row=row, io=io, record=False)
    body = state.scan_json.render(outcome, link.uri(base), io)
    state.resolver.record(outcome, who, now)
    headers = [
        (b"content-length", str(len(body)).encode()),
        _JSON_TYPE,
        (b"link", link_header(anchor_of(link, base), same_as).encode("latin-1")),
        _VARY,
    ]
    # A GTIN this platform does not know: the scan's JSON still says what the code is (not ours), with
    # 404, as a conformant resolver answers a well-formed link it has nothing for.
    return body, headers, outcome.verdict, 200 if outcome.product is not None else 404
