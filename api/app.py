"""The FastAPI application factory: wires settings, database, routers, errors, metrics and the dispatcher."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import edge, openapi, problems
from api.accesslog import AccessLog
from api.background import Background
from api.metrics import Metrics, MetricsMiddleware
from api.pages import routes as pages
from api.ratelimit import RateLimiter, SharedRateLimiter
from api.routers import admin, credit, disclosure, enterprises, epcis, health, public, resolver, traceability
from api.scan_view import EnterpriseCards, ScanJson
from api.wiring import load_handlers
from core import audit
from core.db import Database
from core.files import PRIVATE_UMASK
from core.jobs import JobRunner
from core.settings import Settings, get_settings
from core.tokens import TokenSigner
from disclosure import search
from traceability import scan
from traceability.codes import Keyring

log = logging.getLogger("crosstrust")


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    load_handlers()
    db = db or Database(settings.effective_database_url)

    secret = settings.code_secret_bytes()
    keyring = Keyring.from_settings(settings)
    resolver_ = scan.Resolver(
        db,
        keyring,
        scan.ScanPolicy(
            settings.scan_max_count, settings.scan_max_speed_kmh, settings.scan_max_clients_after_sale
        ),
    )
    jobs = JobRunner(workers=2)
    audit.configure(audit.AuditKeys.from_settings(settings))
    roles = settings.role_set
    background = Background(settings, db, keyring, jobs, roles)
    dispatcher = background.dispatcher

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolver_.writer.start()
        background.checkpoint()  # an upgraded ledger's plain-hash entries are anchored before anything else
        background.start()
        try:
            yield
        finally:
            background.stop()
            resolver_.writer.stop()  # drains: no scan record is lost on a clean shutdown

    # The docs pages serve Swagger UI and ReDoc from the package, not from a CDN: a bonded-zone
    # intranet (and this build machine) may not reach one.
    app = FastAPIOffline(
        title="CrossTrust",
        summary="Traceability and trust for cross-border e-commerce goods (跨境电商溯源与信用)",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.dispatcher = dispatcher
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
    search_backend = search.from_settings(settings)
    search.configure(search_backend)
    app.state.readiness_probes = {"search": lambda: "ok" if search.current().ping() else "unreachable"}
    app.state.metrics = Metrics(db)
    app.state.keyring = keyring
    app.state.resolver = resolver_
    app.state.jobs = jobs
    app.state.enterprise_cards = EnterpriseCards(db)
    app.state.scan_json = ScanJson(app.state.enterprise_cards, settings.resolver_base_url)
    app.state.page_signer = TokenSigner(secret, "page")
    app.state.client_salt = hashlib.sha256(b"crosstrust-client-salt\x00" + secret).digest()

    problems.install(app)
    openapi.install(app)
    # The resolver first: the scan is the hot path, and routes are matched in order.
    routers = (
        resolver.router,
        health.router,
        public.router,
        enterprises.router,
        traceability.router,
        epcis.router,
        disclosure.router,
        credit.router,
        credit.public,
        admin.router,
        pages.router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", pages.static_files(), name="static")
    app.add_middleware(edge.RejectLoneSurrogates)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    # Added last, so it runs first: the scan's fast path (see resolver.ScanFastPath).
    app.add_middleware(resolver.ScanFastPath, metrics=app.state.metrics)
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
    return app


def factory() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:factory`."""
    os.umask(PRIVATE_UMASK)  # as `crosstrust` sets it: var/ and everything in it for this user only
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app()
