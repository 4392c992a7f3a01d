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
from api.metrics import Metrics, MetricsMiddleware
from api.pages import routes as pages
from api.ratelimit import RateLimiter
from api.routers import admin, credit, disclosure, enterprises, epcis, health, public, resolver, traceability
from api.scan_view import EnterpriseCards, ScanJson
from api.wiring import load_handlers
from core import audit
from core.db import Database
from core.events import Dispatcher
from core.files import PRIVATE_UMASK
from core.jobs import DailyJob, IntervalJob, JobRunner
from core.settings import Settings, get_settings
from core.tokens import TokenSigner
from credit import service as credit_service
from disclosure import search
from traceability import service as trace_service
from traceability.codes import Keyring
from traceability.scan import Resolver
from traceability.verdict import ScanPolicy

log = logging.getLogger("crosstrust")


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    load_handlers()
    db = db or Database(settings.effective_database_url)
    dispatcher = Dispatcher(
        db, max_attempts=settings.outbox_max_attempts, backoff_base=settings.outbox_backoff_base_seconds
    )

    secret = settings.code_secret_bytes()
    keyring = Keyring.from_settings(settings)
    resolver_ = Resolver(
        db,
        keyring,
        ScanPolicy(
            settings.scan_max_count, settings.scan_max_speed_kmh, settings.scan_max_clients_after_sale
        ),
    )
    jobs = JobRunner(workers=2)
    audit.configure(audit.AuditKeys.from_settings(settings))

    def checkpoint() -> None:
        with db.transaction() as s:
            audit.checkpoint_now(s)

    # A quiet ledger's newest entries are anchored by time, not only every N entries.
    checkpoints = (
        IntervalJob("audit-checkpoint", checkpoint, settings.audit_checkpoint_minutes * 60)
        if settings.audit_checkpoint_minutes
        else None
    )
    # Scores decay by the day: recompute them all nightly (also `crosstrust credit recompute` for cron).
    nightly = (
        DailyJob("credit-nightly", lambda: credit_service.recompute_all(db), settings.credit_nightly_at)
        if settings.credit_nightly_at
        else None
    )

    def sweep_batches() -> None:
        # Batches whose runner died (this server before a restart, a killed CLI, another process) are
        # resumed once their lease runs out; a live runner's batch is never touched.
        resumed = trace_service.resume_expired(
            db,
            keyring,
            settings.resolver_base_url,
            jobs.submit,
            capacity=jobs.idle(),
            role="server",
            lease_seconds=settings.batch_lease_seconds,
            max_attempts=settings.batch_max_attempts,
            chunk=settings.code_batch_chunk,
        )
        if resumed:
            log.warning("resumed %d code batches whose runner had stopped", resumed)

    batch_sweep = IntervalJob(
        "code-batch-sweep", sweep_batches, max(settings.batch_lease_seconds / 2, 0.2), at_start=True
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        batch_sweep.start()
        resolver_.writer.start()
        checkpoint()  # an upgraded ledger's plain-hash entries are anchored before anything else
        if checkpoints is not None:
            checkpoints.start()
        if settings.dispatcher_in_process:
            dispatcher.start(settings.dispatcher_poll_seconds)
        if nightly is not None:
            nightly.start()
        try:
            yield
        finally:
            if nightly is not None:
                nightly.stop()
            if checkpoints is not None:
                checkpoints.stop()
            batch_sweep.stop()
            jobs.shutdown()
            resolver_.writer.stop()  # drains: no scan record is lost on a clean shutdown
            dispatcher.stop()

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
    app.state.rate_limiter = RateLimiter(
        settings.public_rate_limit_per_minute,
        settings.public_rate_limit_burst,
        settings.public_rate_limit_max_clients,
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
