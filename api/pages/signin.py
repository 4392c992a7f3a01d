"""Sign-in for the console and the merchant pages: paste an API key once, keep a session cookie; sign
out, see your live sessions and sign out everywhere (登出所有设备)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import client_address
from api.pages import web
from core import audit, sessions
from core.errors import Unauthorized
from core.security import Principal, Role, authenticate

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)

HOMES = {
    Role.admin: "/console",
    Role.regulator: "/console",
    Role.merchant: "/merchant",
    Role.insurer: "/insurer",
    Role.bank: "/bank/credit",
}


def _safe_next(target: str) -> str:
    # Only a path on this site: "//evil.example" or "https://…" would make the form an open redirect.
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else ""


@router.get("/signin")
def signin_form(request: Request, next: str = "") -> Response:  # noqa: A002 - the query's name
    return web.render(request, "signin.html", {"next": _safe_next(next), "error": ""})


@router.post("/signin")
def signin(
    request: Request,
    key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    target = _safe_next(next)
    # Every attempt from an address takes a token (a person signs in a few times a day; a guesser is
    # held to the limiter's rate), and a refused one is written to the audit ledger.
    wait = request.app.state.signin_limiter.take(client_address(request))
    if wait:
        response = web.render(
            request,
            "signin.html",
            {"next": target, "error": f"尝试次数过多，请 {wait} 秒后再试 · Too many attempts; wait {wait} s"},
            429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    key = key.strip()
    db = request.app.state.db
    try:
        with db.read_session() as s:
            principal = authenticate(s, key)
    except Unauthorized as exc:
        parts = key.split("_")
        prefix = parts[1][:16] if len(parts) >= 3 and key.startswith("ct_") else "-"
        with db.transaction() as s:
            audit.record(s, "anonymous", "page.signin_refused", "api_key", prefix, {"reason": exc.detail})
        return web.render(
            request,
            "signin.html",
            {"next": target, "error": "API 密钥无效或已撤销 · The API key is not valid or was revoked"},
            401,
        )
    home = HOMES.get(principal.role)
    if home is None:
        # A role with no pages is told so on a page (never a silent landing on the home page), and
        # no session is started.
        return web.render(request, "signin_no_pages.html", {"role": principal.role}, 403)
    redirect = RedirectResponse(target or home, status_code=303)
    with db.transaction() as s:
        audit.record(
            s, principal.actor, "page.signed_in", "api_key", principal.prefix, {"role": principal.role}
        )
        web.start_session(request, redirect, s, principal)
    return redirect


@router.post("/signout")
def signout(request: Request) -> Response:
    response = RedirectResponse("/signin", status_code=303)
    web.end_session(request, response)
    return response


SignedIn = Annotated[Principal, Depends(web.signed_in)]


@router.get("/sessions")
def my_sessions(request: Request, me: SignedIn) -> Response:
    """The live sessions of the signed-in key: when each began and was last seen, this one marked."""
    with request.app.state.db.read_session() as s:
        assert me.key_id is not None  # signed in with a key: a session is always a key's
        live = sessions.live_of_key(s, me.key_id)
    current = getattr(request.state, "session_hash", "")
    rows = [
        {"created_at": x.created_at, "last_seen_at": x.last_seen_at, "this": x.id == current} for x in live
    ]
    return web.render(request, "sessions.html", {"sessions": rows, "home": HOMES.get(me.role, "/")})


@router.post("/sessions/end-all")
def end_all_my_sessions(request: Request, me: SignedIn) -> Response:
    """Sign out everywhere: every session of this key ends, this browser's too."""
    with request.app.state.db.transaction() as s:
        assert me.key_id is not None  # signed in with a key: a session is always a key's
        ended = sessions.end_all_of_key(s, me.key_id)
        audit.record(s, me.actor, "page.signed_out_everywhere", "api_key", me.prefix, {"sessions": ended})
    response = RedirectResponse("/signin", status_code=303)
    web.forget_session(response)
    return response
