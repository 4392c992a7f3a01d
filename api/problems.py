"""RFC 9457 problem details for every error the API returns: 4xx that name the field and the reason,
and 5xx that say something went wrong without a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import DomainError, RateLimited

log = logging.getLogger("crosstrust.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://crosstrust.example/problems/"


class FieldProblem(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error this API answers has this shape."""

    model_config = ConfigDict(extra="allow", title="Problem")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


DESCRIPTIONS = {
    400: "The body could not be read as its Content-Type says (EPCIS: not valid against the standard, or a bad query)",
    401: "No API key, or a key that is malformed, unknown or revoked",
    403: "The key's role or enterprise may not do this",
    404: "A record the request names does not exist (or is not the caller's)",
    409: "The request conflicts with the record's state or with an existing record",
    413: "Too many events in one capture",
    422: "The input is invalid: each field with its reason",
    429: "Too many requests from this client (see Retry-After)",
    503: "A service the operation needs (search, fonts) is unavailable",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Errors a route declares beyond those its dependencies show (see api.openapi)."""
    out: dict[int | str, dict[str, Any]] = {
        status: {
            "description": DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        }
        for status in statuses
    }
    return out


def media(
    status: int, description: str, *types: str, schema: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """A success response in media types other than JSON (CSV, PDF, a ZIP, HTML)."""
    return {status: {"description": description, "content": {t: {"schema": schema or {}} for t in types}}}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    instance: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple | list, kind: str = "") -> str:
    if kind == "json_invalid":
        return "body"  # FastAPI's loc is ("body", <character offset>): the field is the body itself
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or (str(loc[0]) if loc else "")


def _reason(err: Mapping[str, Any]) -> str:
    loc: tuple[Any, ...] = tuple(err.get("loc") or ())
    if err.get("type") == "extra_forbidden" and loc and loc[0] == "query":
        # A query model that refuses what it does not know (the disclosure search): say what to read.
        return "not a parameter of this operation; the API document lists them (/docs)"
    msg = str(err.get("msg", "invalid"))
    if err.get("type") == "json_invalid":
        where = f" at character {loc[-1]}" if len(loc) > 1 else ""
        return f"not valid JSON{where}: {(err.get('ctx') or {}).get('error', msg)}"
    return msg.removeprefix("Value error, ")


async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return problem(
        exc.status,
        exc.title,
        exc.detail,
        slug=exc.slug,
        instance=request.url.path,
        errors=[e.as_dict() for e in exc.errors],
        headers=headers,
        **{k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool | list | dict)},
    )


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _field_path(e.get("loc", ()), e.get("type", "")), "reason": _reason(e)}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
    return problem(
        422, "Invalid input", detail, slug="invalid-input", instance=request.url.path, errors=errors
    )


# A user can still reach a database constraint where no service checks first (a race between two
# requests, a value the schema let through): the constraint's answer is a 4xx naming the column.
async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
    field = _db_field(exc)
    detail = f"{field}: conflicts with existing records" if field else "conflicts with existing records"
    return problem(
        409,
        "Conflict",
        detail,
        slug="conflict",
        instance=request.url.path,
        errors=[{"field": field, "reason": "conflicts with existing records"}] if field else None,
    )


async def data_error(request: Request, exc: DataError) -> JSONResponse:
    log.warning("data error on %s %s: %s", request.method, request.url.path, exc.orig)
    field = _db_field(exc)
    detail = f"{field}: out of range for its column" if field else "a value is out of range"
    return problem(
        422,
        "Invalid input",
        detail,
        slug="invalid-input",
        instance=request.url.path,
        errors=[{"field": field, "reason": "out of range for its column"}] if field else None,
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        # Starlette names the methods of the first route on the path only; the path may have more.
        allow = ", ".join(allowed_methods(request))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        headers = {**(headers or {}), "Allow": allow}
    titles = {
        404: "Not found",
        405: "Method not allowed",
        401: "Authentication required",
        403: "Forbidden",
    }
    detail = exc.detail if isinstance(exc.detail, str) else titles.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"nothing at {request.url.path}"
    return problem(
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        detail,
        slug=str(exc.status_code),
        instance=request.url.path,
        headers=headers,
    )


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Only reached if UnexpectedErrors itself fails; Starlette re-raises afterwards and the server
    # drops the connection, so say so.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return internal_error(request.url.path)


# Each error class and its answer, registered in this order by `install`.
HANDLERS: tuple[tuple[type[Exception], Callable[[Request, Any], Awaitable[Response]]], ...] = (
    (DomainError, domain_error),
    (RequestValidationError, validation_error),
    (IntegrityError, integrity_error),
    (DataError, data_error),
    (StarletteHTTPException, http_error),
    (Exception, unexpected),
)


def install(app: FastAPI) -> None:
    for error, handler in HANDLERS:
        app.add_exception_handler(error, handler)


def _db_field(exc: Exception) -> str:
    """The column a database error names: PostgreSQL says it in the diagnostics, SQLite in the text
    ("NOT NULL constraint failed: enterprise.name_zh")."""
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    if diag is not None and (getattr(diag, "column_name", None) or getattr(diag, "constraint_name", None)):
        return diag.column_name or diag.constraint_name
    text = str(orig or exc)
    if "failed: " in text:
        columns = text.split("failed: ", 1)[1].split("\n")[0]
        return ", ".join(c.strip().rsplit(".", 1)[-1] for c in columns.split(","))
    return ""


def internal_error(path: str) -> JSONResponse:
    return problem(
        500,
        "Internal error",
        "something went wrong on our side; the request was not applied",
        slug="internal",
        instance=path,
        headers={"Connection": "close"},
    )


def routes(app: Any) -> list[Any]:
    """Every route of the app, those of included routers too, each with its effective path, methods,
    dependencies and responses (FastAPI 0.16x keeps included routers nested; older ones flatten them)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on the request's path, and OPTIONS, which every path answers."""
    table = getattr(request.app.state, "allow_table", None)
    if table is None:
        table = request.app.state.allow_table = [
            (route.path_regex, frozenset(route.methods or ("GET", "HEAD")))
            for route in routes(request.app)
            if getattr(route, "path_regex", None) is not None
        ]
    path = request.scope["path"]
    methods = {m for regex, route_methods in table if regex.match(path) for m in route_methods}
    return sorted(methods | {"OPTIONS"})


class UnexpectedErrors:
    """ASGI middleware, outermost: an exception nothing else handled becomes a 500 problem document.

    Starlette's own last-resort handler answers and then re-raises, and the server then closes the
    kept-alive connection without having said `Connection: close`, so a client's next request on it
    fails with a reset. Here the exception stops: the answer says `Connection: close` (the request
    body may be half read, so the connection is not reused) and the server closes it cleanly. An
    exception after the response has started (a broken stream) is re-raised: only dropping the
    connection tells the client the body is incomplete."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            if started:
                raise
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            await internal_error(scope.get("path", ""))(scope, receive, send)
