"""FastAPI dependencies: the database, the search backend, who is calling, enterprise scope and the public
rate limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core import agencies
from core.db import Database
from core.errors import RateLimited, Unauthorized
from core.identifiers import MAX_ID, MAX_OFFSET
from core.security import Principal, Role, authenticate
from core.settings import Settings
from disclosure.search.base import SearchBackend
from traceability.schemas import MAX_LINES

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


# Dependencies that only read the app's state are coroutines: FastAPI runs a plain function dependency on
# its thread pool, a hand-over to another thread and back for each (BENCHMARKS.md, "The suite, twelfth
# pass"). Those that wait on the database (`current_principal`, `scoped_enterprise`) stay functions.


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_search(request: Request) -> SearchBackend:
    """The app's search backend (built once by create_app, as the database is)."""
    return request.app.state.search


# Every integer the API reads is bounded in its schema, so that the OpenAPI document says the range and
# an out-of-range number is a 422 naming it, never a driver overflow.
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="Record id")]
LineNo = Annotated[int, Path(ge=1, le=MAX_LINES, description="Line number within the declaration")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Records to skip")]

DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SearchDep = Annotated[SearchBackend, Depends(get_search)]


# Methods that change nothing: everything else is a write, refused to an enterprise not in good standing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_principal(
    request: Request,
    db: DbDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Principal:
    key = (bearer.credentials if bearer else None) or header_key
    if not key:
        raise Unauthorized(
            "this endpoint needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key'"
        )
    with db.read_session() as session:
        principal = authenticate(session, key)
    if request.method not in SAFE_METHODS:
        principal.ensure_may_write()
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(principal: PrincipalDep) -> Principal:
        principal.require_role(*roles)
        return principal

    dependency.__name__ = "require_" + "_".join(r.value for r in roles)
    return dependency


def scoped_enterprise(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    enterprise_id: Annotated[int, Path(description="Enterprise id", ge=1, le=MAX_ID)],
) -> int:
    """Path-scoped endpoints: the caller must be allowed to act for the enterprise in the path, and it
    must exist (a merchant's key is bound to one that does; staff may name any id, and a write for one
    that does not exist is a 404 here, not a foreign-key failure in the database)."""
    principal.ensure_may_act_for(enterprise_id)
    if principal.enterprise_id is None:
        from enterprises import service as enterprises

        with db.read_session() as session:
            enterprises.get(session, enterprise_id)
            # A regulator writing on an enterprise's own paths acts for it: only in its agency's region.
            if request.method not in SAFE_METHODS:
                agencies.ensure_acts_for_enterprise(
                    session, principal, enterprise_id, f"enterprise {enterprise_id}"
                )
    return enterprise_id


ScopedEnterprise = Annotated[int, Depends(scoped_enterprise)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refuse_if(wait: int) -> None:
    """A rate limiter's answer (seconds to wait, 0 to go on) as the 429 every public path gives."""
    if wait:
        raise RateLimited(f"too many requests from your address; try again in {wait} s", retry_after=wait)


async def public_rate_limit(request: Request) -> None:
    """The public rate limit, on the event loop: the in-process limiter does no I/O and is called
    directly, as the scan's fast path does; the shared one (PostgreSQL) sends its statement from the
    thread pool (`atake`). A dependency, and awaited
    by the public coroutines that take it themselves (the resolver's pages, the complaint form)."""
    limiter, address = request.app.state.rate_limiter, client_address(request)
    refuse_if(limiter.take(address) if limiter.in_process else await limiter.atake(address))


def take_public_token(request: Request) -> None:
    """`public_rate_limit` for a handler that already runs on the thread pool."""
    refuse_if(request.app.state.rate_limiter.take(client_address(request)))
