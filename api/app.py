"""The FastAPI application factory: wires settings, database, routers, errors, metrics and the dispatcher."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache

from fastapi import FastAPI
from sqlmodel import Session
from starlette.routing import BaseRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import edge, openapi, problems, route_index
from api.accesslog import AccessLog, configure_logging
from api.app_state import AppState
from api.background import Background
from api.metrics import Metrics, MetricsMiddleware
from api.pages import complaint_desk as complaint_desk_pages
from api.pages import console as console_pages
from api.pages import consumer as consumer_pages
from api.pages import credit_sharing as credit_sharing_pages
from api.pages import credit_trust as credit_trust_pages
from api.pages import insurer as insurer_pages
from api.pages import intake_dist_pages, intake_pages, intake_quality, intake_settle_pages
from api.pages import merchant as merchant_pages
from api.pages import merchant_codes as merchant_codes_pages
from api.pages import merchant_complaints as merchant_complaints_pages
from api.pages import merchant_credit as merchant_credit_pages
from api.pages import merchant_declarations as merchant_declarations_pages
from api.pages import merchant_insurance as merchant_insurance_pages
from api.pages import merchant_products as merchant_products_pages
from api.pages import merchant_shipments as merchant_shipments_pages
from api.pages import portal as portal_pages
from api.pages import routes as pages
from api.pages import signin as signin_pages
from api.pages import tipoffs as tipoff_pages
from api.pages import verifiable as verifiable_pages
from api.pages import verify as verify_pages
from api.pages import warnings as warning_pages
from api.pages import web as page_web
from api.ratelimit import RateLimiter, SharedRateLimiter
from api.routers import (
    admin,
    certificates,
    complaints,
    credit,
    credit_sharing,
    credit_trust,
    disclosure,
    docs,
    enterprises,
    epcis,
    health,
    insurance,
    intake,
    intake_dist,
    intake_settle,
    public,
    resolver,
    tipoffs,
    tlog,
    traceability,
    warnings,
)
from api.routers import intake_quality as intake_quality_api
from api.scan_fast import ScanFastPath
from api.scan_pg import LoopStatements
from api.scan_signed import AnswerSigning
from api.scan_view import EnterpriseCards, ScanJson, UnitClaims
from complaints import service as complaint_service
from core import audit
from core.db import Database
from core.errors import NotFound
from core.files import PRIVATE_UMASK
from core.jobs import JobRunner
from core.settings import Settings, get_settings
from core.tokens import TokenSigner
from credit import service as credit_service
from disclosure.search.base import SearchBackend
from disclosure.search.factory import from_settings as search_from_settings
from insurance.claims import CaseRef
from traceability.codes import Keyring
from traceability.scan import Resolver
from traceability.scan_spool import ScanSpool
from traceability.verdict import ScanPolicy

log = logging.getLogger("crosstrust")


def verify_case(session: Session, case_id: int, token: str) -> CaseRef | None:
    """The complaint case a consumer's tracking token opens, if it is `case_id`."""
    try:
        case = complaint_service.by_token(session, token)
    except NotFound:
        return None
    if case.id != case_id:
        return None
    return CaseRef(case_id=case.id, enterprise_id=case.enterprise_id, serial=case.serial)


# The resolver first: the scan is the hot path, and routes are matched in order.
ROUTERS = (
    resolver.router,
    health.router,
    public.router,
    certificates.router,
    enterprises.router,
    traceability.router,
    epcis.router,
    disclosure.router,
    credit.router,
    credit.public,
    credit_trust.router,
    credit_trust.public,
    credit_sharing.router,
    tipoffs.router,
    tipoffs.public,
    warnings.router,
    complaints.public,
    complaints.router,
    insurance.router,
    insurance.public,
    admin.router,
    intake.router,
    intake_quality_api.router,
    intake_settle.router,
    intake_dist.router,
    tlog.router,
    pages.router,
    signin_pages.router,
    console_pages.router,
    complaint_desk_pages.router,
    complaint_desk_pages.public_router,
    insurer_pages.router,
    credit_sharing_pages.router,
    tipoff_pages.router,
    warning_pages.router,
    intake_pages.router,
    intake_quality.router,
    intake_settle_pages.router,
    intake_dist_pages.router,
    merchant_pages.router,
    merchant_declarations_pages.router,
    merchant_codes_pages.router,
    merchant_shipments_pages.router,
    merchant_products_pages.router,
    merchant_complaints_pages.router,
    merchant_insurance_pages.router,
    merchant_credit_pages.router,
    credit_trust_pages.router,
    consumer_pages.router,
    portal_pages.router,
    verify_pages.router,
    verifiable_pages.router,
    portal_pages.data,
    docs.router,
)


@cache
def _included_routes() -> tuple[BaseRoute, ...]:
    """The routes of `ROUTERS`, in order, the same objects in every app the process makes.

    The routes themselves, not the routers included: an `APIRoute` is built whole when its router
    declares it (its router's prefix, tags, dependencies and responses with it: none of `ROUTERS` has a
    lifespan or startup handler for an inclusion to carry), where FastAPI builds an included router's
    routes again for each app, on its first request (the test suite, which makes an app for each test,
    spent about 14 % of its CPU on that: BENCHMARKS.md, "The suite, eighth pass"), and matches a
    request against an included router's routes twice. A route holds no app's state (it reads
    `request.app.state`), so the apps share them; no app's `dependency_overrides` apply to them, and the
    platform uses none. The app finds a request's route among them through `api.route_index`."""
    return tuple(route for router in ROUTERS for route in router.routes)


def _bare_app(lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None) -> FastAPI:
    """An app with its title and version, and without FastAPI's own docs routes (api/routers/docs.py)."""
    return FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        title="CrossTrust",
        summary="Traceability and trust for cross-border e-commerce goods (跨境电商溯源与信用)",
        version="0.1.0",
        lifespan=lifespan,
    )


@cache
def _openapi_json(grades: tuple[str, ...]) -> str:
    """The OpenAPI document with each operation's errors (api.openapi), as JSON text, made once per
    process and methodology: it depends only on the routes, which the apps share (`_included_routes`),
    `_bare_app`'s title and version, and the grades of the methodology in force (`grades`, the enum of
    each grade filter). Making it takes about a second of CPU; the test suite asked for it about forty
    times a worker."""
    app = _bare_app()
    app.router.routes.extend(_included_routes())
    return json.dumps(openapi.document_errors(app, app.openapi()))


def create_app(
    settings: Settings | None = None, db: Database | None = None, search: SearchBackend | None = None
) -> FastAPI:
    settings = settings or get_settings()
    audit_keys = audit.AuditKeys.from_settings(settings)
    if db is None:
        db = Database(settings.effective_database_url, audit_keys=audit_keys)
    else:
        db.audit_keys = audit_keys  # the database this app writes through, with this app's keys
    # The app owns its search backend: the routes reach it through app.state (api.deps.SearchDep) and the
    # indexer through the app's dispatcher (api.background), so two apps in one process never share one
    # by accident.
    search = search or search_from_settings(settings)

    secret = settings.code_secret_bytes()
    keyring = Keyring.from_settings(settings)
    resolver_ = Resolver(
        db,
        keyring,
        ScanPolicy(
            settings.scan_max_count, settings.scan_max_speed_kmh, settings.scan_max_clients_after_sale
        ),
        spool=ScanSpool(settings.ensure_var_dir() / "scan-spool") if settings.scan_spool else None,
    )
    jobs = JobRunner(workers=2)
    roles = settings.role_set
    # Every scheduled job (checkpoints, the nightly credit recompute, the complaint sweep, insurance
    # expiry, interrupted exports, code batch sweeps) runs through it, once per period across processes.
    background = Background(settings, db, keyring, jobs, roles, search=search)
    lifespan = _lifespan(db, resolver_, background)

    # The OpenAPI document and the docs page are routes the apps share (api/routers/docs.py): Swagger UI
    # from the package, not from a CDN; ReDoc not at all (its bundle loads the Redocly logo from
    # cdn.redoc.ly, with no option to stop it; tests/e2e/test_home.py watches /docs' requests).
    app = _bare_app(lifespan)
    app.state = AppState()  # Starlette's, each value an ordinary attribute (the scan reads a dozen)
    _set_state(app, settings, db, search, background, keyring, resolver_, jobs, secret)
    problems.install(app)
    openapi.install(app, lambda: _openapi_json(credit_service.grade_codes()))
    app.router.routes.extend(_included_routes())
    # The files after the routes: a routed request (the scan's among them) is not matched against them first.
    app.mount("/static", pages.static_files(), name="static")
    app.mount(docs.STATIC_URL, docs.static_files(), name="static-offline-docs")
    # A request's route found by its path's literal prefix, not by trying each route in turn.
    route_index.install(app.router)
    # Sessions and CSRF for the console, merchant and complaint pages (api/pages/web.py).
    page_web.install(app, secret)
    app.state.signin_limiter = RateLimiter(10, 10, settings.public_rate_limit_max_clients)
    _add_middleware(app, settings)
    return app


def _lifespan(
    db: Database, resolver_: Resolver, background: Background
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's start and stop: the scan writer, the background roles, the loop's statements."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolver_.writer.replay()  # what a killed process answered and spooled but never wrote
        # On PostgreSQL the scan writer is a task of this loop, as the scan is (api.scan_pg).
        writer = None if db.is_sqlite else asyncio.create_task(resolver_.writer.run_on_loop())
        if writer is None:
            resolver_.writer.start()
        background.checkpoint()  # an upgraded ledger's plain-hash entries are anchored before anything else
        background.start()
        try:
            yield
        finally:
            background.stop()
            # Drains: no scan record is lost on a clean shutdown.
            if writer is not None:
                await resolver_.writer.stop_on_loop(writer)
            else:
                resolver_.writer.stop()
            if app.state.scan_statements is not None:
                await app.state.scan_statements.close()

    return lifespan


def _set_state(
    app: FastAPI,
    settings: Settings,
    db: Database,
    search: SearchBackend,
    background: Background,
    keyring: Keyring,
    resolver_: Resolver,
    jobs: JobRunner,
    secret: bytes,
) -> None:
    """What the factory built, where the routes, pages and middleware find it."""
    app.state.settings = settings
    app.state.db = db
    app.state.dispatcher = background.dispatcher
    app.state.background = background
    # One limit per client across every process: in the database on PostgreSQL (see api.ratelimit).
    app.state.rate_limiter = (
        SharedRateLimiter(db, settings.public_rate_limit_per_minute, settings.public_rate_limit_burst)
        if settings.shared_rate_limit(db)
        else RateLimiter(
            settings.public_rate_limit_per_minute,
            settings.public_rate_limit_burst,
            settings.public_rate_limit_max_clients,
        )
    )
    app.state.search = search
    app.state.readiness_probes = {"search": lambda: "ok" if search.ping() else "unreachable"}
    app.state.metrics = Metrics(db)
    app.state.keyring = keyring
    app.state.resolver = resolver_
    # On PostgreSQL the JSON scan's statements run on the event loop (api.scan_pg).
    app.state.scan_statements = None if db.is_sqlite else LoopStatements(db.url)
    # The scan refreshing a due shared cache, which other scans wait for (api.scan_fast).
    app.state.scan_refresh = None
    app.state.jobs = jobs
    app.state.complaint_kit = background.complaint_kit
    app.state.enterprise_cards = EnterpriseCards(
        db, providers=None if settings.scan_insurance else {"credit"}
    )
    app.state.unit_claims = UnitClaims(db, enabled=settings.scan_insurance)
    app.state.scan_json = ScanJson(
        app.state.enterprise_cards, settings.resolver_base_url, claims=app.state.unit_claims
    )
    app.state.answer_signing = AnswerSigning(db, keyring.signing)  # the scan's signed answers
    app.state.page_signer = TokenSigner(secret, "page")
    # (session, case_id, tracking_token) -> insurance.claims.CaseRef | None: a consumer's claim names its
    # complaint case; complaints checks the token, insurance never reads complaints' tables.
    app.state.case_verifier = verify_case
    app.state.client_salt = hashlib.sha256(b"crosstrust-client-salt\x00" + secret).digest()


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """The middleware, innermost first (the last added runs first)."""
    app.add_middleware(edge.JsonEdge)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    # Added last, so it runs first: the scan's fast path (see api.scan_fast.ScanFastPath).
    app.add_middleware(ScanFastPath, metrics=app.state.metrics, endpoint=resolver.scan_endpoint)
    # An exception that escapes everything inside is still a problem document (see its docstring).
    app.add_middleware(problems.UnexpectedErrors)
    # Our access log instead of uvicorn's, which writes the client's address and the raw `loc=`; outside
    # UnexpectedErrors, so a 500 is logged with its status.
    app.add_middleware(AccessLog)
    if settings.trusted_proxy_list:
        # Outermost: the client address every part of the app sees (the rate limit, the scan's client
        # hash) comes from X-Forwarded-For only when the peer is a configured proxy. `crosstrust serve`
        # turns uvicorn's own proxy handling off, whose default trusts any peer on loopback.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)


def factory() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:factory`."""
    os.umask(PRIVATE_UMASK)  # as `crosstrust` sets it: var/ and everything in it for this user only
    configure_logging()
    app = create_app()
    # What the server built to start is kept for its life: left out of the collector's full passes, which
    # would otherwise walk every module, route and schema each time (gc.freeze; a server only, not tests).
    gc.freeze()
    return app
