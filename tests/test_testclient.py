"""The suite's TestClient (tests/testclient.py) answers as Starlette's own does: the same status, headers
and body for plain, streamed, HEAD, cookie-setting and redirecting answers; the app's background work
done before the call returns; an app's error raised in the test, or an empty 500 when asked not to
raise; and the app's lifespan state in each request."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient as StarletteTestClient

from tests.testclient import TestClient

done: list[str] = []


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": str(request.query_params),
            "body": body.decode(),
            "header": request.headers.get("x-test"),
            "cookie": request.cookies.get("seen"),
            "state": request.state.greeting,
        },
        headers={"x-answer": "yes"},
    )


async def streamed(request: Request) -> StreamingResponse:
    async def parts():  # noqa: ANN202
        for part in (b"one,", b"two,", b"three"):
            yield part

    return StreamingResponse(parts(), media_type="text/csv")


async def later(request: Request) -> PlainTextResponse:
    return PlainTextResponse("accepted", background=BackgroundTask(done.append, request.url.path))


async def cookie(request: Request) -> PlainTextResponse:
    response = PlainTextResponse("set")
    response.set_cookie("seen", "1")
    return response


async def moved(request: Request) -> RedirectResponse:
    return RedirectResponse("/echo?from=moved", status_code=303)


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("the app failed")


@asynccontextmanager
async def lifespan(app: Starlette):  # noqa: ANN201
    yield {"greeting": "你好"}


app = Starlette(
    routes=[
        Route("/echo", echo, methods=["GET", "POST", "HEAD"]),
        Route("/streamed", streamed),
        Route("/later", later),
        Route("/cookie", cookie),
        Route("/moved", moved),
        Route("/boom", boom),
    ],
    lifespan=lifespan,
)


def _answers(client) -> list[tuple[int, list[tuple[str, str]], bytes]]:  # noqa: ANN001
    answers = []
    for method, url, kwargs in [
        ("GET", "/echo?a=1&b=%E4%BD%A0", {"headers": {"x-test": "t"}}),
        ("POST", "/echo", {"json": {"k": "值"}}),
        ("HEAD", "/echo", {}),
        ("GET", "/streamed", {}),
        ("GET", "/later", {}),
        ("GET", "/cookie", {}),
        ("GET", "/echo", {}),  # the cookie set by the answer before
        ("GET", "/moved", {}),  # followed
        ("GET", "/nowhere", {}),
    ]:
        r = client.request(method, url, **kwargs)
        answers.append((r.status_code, sorted(r.headers.multi_items()), r.content))
    return answers


def test_answers_are_starlettes() -> None:
    done.clear()
    with StarletteTestClient(app) as theirs:
        expected = _answers(theirs)
    assert done == ["/later"]
    with TestClient(app) as ours:
        got = _answers(ours)
        assert done == ["/later", "/later"]  # the background task ran before the call returned
    assert got == expected
    assert got[3][2] == b"one,two,three" and got[2][2] == b""


def test_without_lifespan_each_request_gets_its_own_loop() -> None:
    """Used without `with`, each request opens a portal of its own (no lifespan state: none is set)."""
    client = TestClient(Starlette(routes=[Route("/moved", moved), Route("/echo", streamed)]))
    assert client.get("/moved").content == b"one,two,three"


def test_an_apps_error_is_raised_or_an_empty_500_as_with_starlettes() -> None:
    with TestClient(app) as ours, pytest.raises(RuntimeError, match="the app failed"):
        ours.get("/boom")
    with (
        TestClient(app, raise_server_exceptions=False) as ours,
        StarletteTestClient(app, raise_server_exceptions=False) as theirs,
    ):
        mine, starlettes = ours.get("/boom"), theirs.get("/boom")
    assert (mine.status_code, mine.content) == (starlettes.status_code, starlettes.content)
    assert mine.status_code == 500
