"""What every signed-in page shares: the session cookie, who is signed in, CSRF, and errors as pages.

A session is a row on the server (core/sessions.py); the cookie carries its random id, signed so that a
forged cookie costs no database read. Every page reads the row with its key and the key's enterprise in
one query, so signing out, signing out everywhere, revoking the key or suspending its enterprise takes
effect at once. CSRF is asgi-csrf's double-submit cookie (a signed `csrftoken` cookie that every form
repeats in a hidden field, read from urlencoded and multipart bodies alike, so the forms work without
JavaScript); it guards the pages only: the JSON API is called with keys in headers, which a browser never
sends by itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
from collections.abc import Callable, Coroutine
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import asgi_csrf as _asgi_csrf
import python_multipart
from asgi_csrf import asgi_csrf
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import Session

from api.deps import SAFE_METHODS
from api.pages import glossary
from api.pages.routes import templates
from core import sessions
from core.clock import utcnow
from core.errors import DomainError, Forbidden, Invalid
from core.security import Principal, Role, principal_of_session
from core.tokens import TokenSigner

SESSION_COOKIE = "ct_session"
SESSION_SECONDS = int(sessions.LIFETIME.total_seconds())
# Paths the CSRF check guards (every form of the site posts under one of them).
PAGE_PREFIXES = (
    "/signin",
    "/signout",
    "/sessions",
    "/console",
    "/merchant",
    "/insurer",
    "/bank",
    "/complaints/",
    "/track/",
    "/tipoffs/",
)
# Guarded even on a request that carries no cookie at all (asgi-csrf lets those through by default,
# since a forged request rides on the victim's cookies): the forms anyone can post.
ALWAYS_PROTECT = {"/signin", "/complaints/new", "/tipoffs/new"}
CONSOLE_ROLES = (Role.admin, Role.regulator)


class SignInNeeded(Exception):
    """No session (or an expired one): the page redirects to the sign-in form, then back."""


def session_signer(request: Request) -> TokenSigner:
    return request.app.state.session_signer


def start_session(request: Request, response: Response, session: Session, principal: Principal) -> None:
    """A new server-side session for the principal's key, in the caller's transaction, and its cookie.
    A session the browser still held is ended: a sign-in never keeps an id chosen before it."""
    previous = session_token(request)
    if previous is not None:
        sessions.end(session, previous)
    assert principal.key_id is not None  # signed in with a key: a session is always a key's
    token = sessions.start(session, principal.key_id)
    response.set_cookie(
        SESSION_COOKIE,
        session_signer(request).dumps({"s": token}),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(request: Request, response: Response) -> None:
    """End the session the cookie names, on the server, and have the browser forget the cookie."""
    token = session_token(request)
    if token is not None:
        with request.app.state.db.transaction() as s:
            sessions.end(s, token)
    forget_session(response)


def forget_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def session_token(request: Request) -> str | None:
    """The session id the cookie carries, if the cookie is one this server signed."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = session_signer(request).loads(raw, "session")
    except (Invalid, ValueError):
        return None
    token = data.get("s") if isinstance(data, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 100 else None


def session_principal(request: Request) -> Principal | None:
    """Who the session cookie names, if its session is live (not ended, not expired) and its key good."""
    token = session_token(request)
    if token is None:
        return None
    hashed = sessions.session_hash(token)
    db = request.app.state.db
    with db.read_session() as s:
        found = principal_of_session(s, hashed)
    if found is None:
        return None
    principal, last_seen = found
    if utcnow() - last_seen >= sessions.TOUCH_EVERY:
        with db.transaction() as s:
            sessions.touch(s, hashed)
    request.state.session_hash = hashed
    return principal


def signed_in(request: Request) -> Principal:
    principal = session_principal(request)
    if principal is None:
        raise SignInNeeded
    request.state.principal = principal
    if request.method not in SAFE_METHODS:
        principal.ensure_may_write()  # as the API does: a suspended enterprise reads but changes nothing
    return principal


def console_user(request: Request) -> Principal:
    principal = signed_in(request)
    if principal.role not in CONSOLE_ROLES:
        raise Forbidden("监管控制台只对监管人员开放 · The console is for regulators only")
    return principal


@dataclasses.dataclass(frozen=True)
class EnterpriseUser(Principal):
    """A signed-in merchant or insurer, typed as what its role guarantees: a key bound to its enterprise."""

    enterprise_id: int

    @classmethod
    def of(cls, principal: Principal) -> EnterpriseUser:
        if principal.enterprise_id is None:
            raise Forbidden("此密钥不属于任何企业 · This key acts for no enterprise")
        fields = {f.name: getattr(principal, f.name) for f in dataclasses.fields(principal)}
        return cls(**fields)


def merchant_user(request: Request) -> EnterpriseUser:
    principal = signed_in(request)
    if principal.role != Role.merchant:
        raise Forbidden("商家页面只对商家开放 · The merchant pages are for merchants only")
    return EnterpriseUser.of(principal)


def insurer_user(request: Request) -> EnterpriseUser:
    principal = signed_in(request)
    if principal.role != Role.insurer:
        raise Forbidden("保险机构页面只对保险机构开放 · The insurer's desk is for insurers only")
    return EnterpriseUser.of(principal)


def csrf_token(request: Request) -> str:
    getter = request.scope.get("csrftoken")
    return getter() if callable(getter) else ""


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    ctx = {
        "csrftoken": csrf_token(request),
        "me": getattr(request.state, "principal", None),
        "lang": "zh-CN",
        **context,
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    # Pages show a session's own records: never cached by a shared cache, nor kept after sign-out.
    response.headers["Cache-Control"] = "no-store"
    return response


YUAN_DIGITS = 13  # at most 9,999,999,999,999.99 yuan: beyond every schema's bound, and never a huge number


def yuan(text: str, field: str, *, above_zero: bool = False) -> int:
    """An amount typed in yuan ("168.00") as minor units (fen): the one reading of every form's amount.
    Anything else (words, "inf", "1E999999999", a third decimal, a negative) is refused naming the field;
    how much is allowed is then the schema's, as for the API."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    exponent = amount.as_tuple().exponent
    if (
        not amount.is_finite()
        or amount < 0
        or (above_zero and amount == 0)
        or not isinstance(exponent, int)
        or exponent < -2
        or amount.adjusted() >= YUAN_DIGITS
    ):
        above = " above zero" if above_zero else ""
        raise Invalid.field(field, f"an amount in yuan{above}, at most two decimals, such as 168.00")
    return int(amount * 100)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "title": title, "detail": detail}, status)


class PageRoute(APIRoute):
    """A page route: a domain error is an HTML page with its status (a 403 page, not a problem document
    a person cannot read), and a missing session a redirect to the sign-in form."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
            except DomainError as exc:
                fields = [f"{e.field}: {glossary.reason(e.reason)}" for e in exc.errors]
                detail = "; ".join(fields) if fields else glossary.reason(exc.detail)
                return error_page(request, exc.status, exc.title, detail)
            except RequestValidationError as exc:
                # A form field or query value out of bounds: the page, naming the field, not JSON.
                fields = [
                    f"{'.'.join(str(p) for p in e['loc'][1:])}: {glossary.reason(e['msg'], e['type'], e.get('ctx'))}"
                    for e in exc.errors()
                ]
                return error_page(request, 422, "Invalid input", "; ".join(fields))

        return route


async def _csrf_failed(scope: dict, send: Callable, message_id: object) -> None:
    body = (
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>403</title>"
        '<link rel="stylesheet" href="/static/site.css"><main><h1>403 表单已失效 · Form expired</h1>'
        "<p>请返回上一页刷新后重新提交。Go back, reload the page and send the form again.</p></main></html>"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _FormParser(_asgi_csrf.FormParser):
    """asgi-csrf 0.11 passes `FileClass=` to python-multipart's FormParser, which python-multipart 0.0.26
    removed (simonw/asgi-csrf#38, fix pending in #39), and older python-multipart has CVE-2026-40347, so
    pinning it back is no answer. The same rule without the argument: a file part that ends before the
    token field was read is refused (python-multipart calls `on_file` as each file part ends)."""

    def __init__(self, content_type, on_field, on_file, on_end=None, boundary=None, FileClass=None, **kw):  # noqa: ANN001, N803, ARG002
        def file_before_token(_file: object) -> None:
            raise _asgi_csrf.FileBeforeToken

        super().__init__(content_type, on_field, file_before_token, on_end, boundary, **kw)


# Only where the installed python-multipart no longer takes the argument asgi-csrf passes: judged by the
# parser's own signature, not by reading asgi-csrf's source text.
if "FileClass" not in inspect.signature(python_multipart.FormParser).parameters:
    _asgi_csrf.FormParser = _FormParser


class CsrfMiddleware:
    """asgi-csrf as a Starlette middleware class, on the page paths only.

    asgi-csrf hands the app a copy of the scope (with its token getter added), so what routing writes
    into it (the matched route, which the metrics label requests by) would be lost to the middleware
    outside; it is copied back. Every other path goes straight through, untouched and at no cost."""

    def __init__(self, app: Callable, secret: bytes) -> None:
        self.app = app

        async def inner(scope: dict, receive: Callable, send: Callable) -> None:
            try:
                await app(scope, receive, send)
            finally:
                outer = scope["crosstrust.outer_scope"]
                for key in ("route", "endpoint", "path_params"):
                    if key in scope:
                        outer[key] = scope[key]

        self._guarded = asgi_csrf(
            inner,
            signing_secret=hashlib.sha256(b"crosstrust-csrf\x00" + secret).hexdigest(),
            always_protect=ALWAYS_PROTECT,
            skip_if_scope=lambda scope: not scope["path"].startswith(PAGE_PREFIXES),
            send_csrf_failed=_csrf_failed,
        )

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PAGE_PREFIXES):
            await self.app(scope, receive, send)
            return
        scope["crosstrust.outer_scope"] = scope
        await self._guarded(scope, receive, send)


def install(app: Any, secret: bytes) -> None:
    app.state.session_signer = TokenSigner(secret, "page-session")
    app.add_middleware(CsrfMiddleware, secret=secret)
