"""The FastAPI application factory: wires settings, database, routers, errors, metrics and the dispatcher."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import problems
from api.metrics import Metrics, MetricsMiddleware
from api.pages import routes as pages
from api.ratelimit import RateLimiter
from api.routers import (
    admin,
    credit,
    disclosure,
    enterprises,
    epcis,
    health,
    insurance,
    public,
    resolver,
    traceability,
)
from api.scan_view import EnterpriseCards, ScanJson, UnitClaims
from api.wiring import load_handlers
from core.db import Database
from core.events import Dispatcher
from core.jobs import DailyJob, JobRunner
from core.settings import Settings, get_settings
from core.tokens import TokenSigner
from credit import service as credit_service
from disclosure import search
from insurance import service as insurance_service
from traceability import scan
from traceability import service as trace_service
from traceability.codes import Keyring

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
    resolver_ = scan.Resolver(
        db,
        keyring,
        scan.ScanPolicy(
            settings.scan_max_count, settings.scan_max_speed_kmh, settings.scan_max_clients_after_sale
        ),
    )
    jobs = JobRunner(workers=2)
    # Scores decay by the day: recompute them all nightly (also `crosstrust credit recompute` for cron).
    nightly = (
        DailyJob("credit-nightly", lambda: credit_service.recompute_all(db), settings.credit_nightly_at)
        if settings.credit_nightly_at
        else None
    )

    def expire_policies() -> int:
        with db.transaction() as s:
            return insurance_service.expire_due(s)

    # Lapsed policies withdraw their service disclosure (cover itself already ends with the period).
    expiry = (
        DailyJob("insurance-expiry", expire_policies, settings.insurance_expiry_at)
        if settings.insurance_expiry_at
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        interrupted = trace_service.recover_interrupted(db)
        if interrupted:
            log.warning("undid %d code batches that a previous run left unfinished", interrupted)
        resolver_.writer.start()
        if settings.dispatcher_in_process:
            dispatcher.start(settings.dispatcher_poll_seconds)
        if nightly is not None:
            nightly.start()
        if expiry is not None:
            expiry.start()
        try:
            yield
        finally:
            if nightly is not None:
                nightly.stop()
            if expiry is not None:
                expiry.stop()
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
        settings.public_rate_limit_per_minute, settings.public_rate_limit_burst
    )
    search_backend = search.from_settings(settings)
    search.configure(search_backend)
    app.state.readiness_probes = {"search": lambda: "ok" if search.current().ping() else "unreachable"}
    app.state.metrics = Metrics(db)
    app.state.keyring = keyring
    app.state.resolver = resolver_
    app.state.jobs = jobs
    app.state.enterprise_cards = EnterpriseCards(
        db, providers=None if settings.scan_insurance else {"credit"}
    )
    app.state.unit_claims = UnitClaims(db, enabled=settings.scan_insurance)
    app.state.scan_json = ScanJson(
        app.state.enterprise_cards, settings.resolver_base_url, claims=app.state.unit_claims
    )
    app.state.page_signer = TokenSigner(secret, "page")
    # (session, case_id, tracking_token) -> insurance.claims.CaseRef | None: the complaints domain's
    # public check of a case and its token, wired when that domain lands; until then consumer claims
    # answer 501.
    app.state.case_verifier = None
    app.state.client_salt = hashlib.sha256(b"crosstrust-client-salt\x00" + secret).digest()

    problems.install(app)
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
        insurance.router,
        insurance.public,
        admin.router,
        pages.router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", pages.static_files(), name="static")
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    # Added last, so it runs first: the scan's fast path (see resolver.ScanFastPath).
    app.add_middleware(resolver.ScanFastPath, metrics=app.state.metrics)
    return app


def factory() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:factory`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app()
