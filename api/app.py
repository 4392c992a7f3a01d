"""The FastAPI application factory: wires settings, database, routers, errors, metrics and the dispatcher."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlmodel import Session
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import edge, openapi, problems, wiring
from api.accesslog import AccessLog
from api.metrics import Metrics, MetricsMiddleware
from api.pages import console as console_pages
from api.pages import consumer as consumer_pages
from api.pages import merchant as merchant_pages
from api.pages import routes as pages
from api.pages import signin as signin_pages
from api.pages import web as page_web
from api.ratelimit import RateLimiter
from api.routers import (
    admin,
    complaints,
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
from complaints import service as complaint_service
from core import audit
from core.db import Database
from core.errors import NotFound
from core.files import PRIVATE_UMASK
from core.jobs import DailyJob, IntervalJob, JobRunner
from core.settings import Settings, get_settings
from core.tokens import TokenSigner
from credit import service as credit_service
from disclosure import exports as disclosure_exports
from disclosure.search.base import SearchBackend
from disclosure.search.factory import from_settings as search_from_settings
from insurance import service as insurance_service
from insurance.claims import CaseRef
from traceability import service as trace_service
from traceability.codes import Keyring
from traceability.scan import Resolver
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


def create_app(
    settings: Settings | None = None, db: Database | None = None, search: SearchBackend | None = None
) -> FastAPI:
    settings = settings or get_settings()
    db = db or Database(settings.effective_database_url)
    # The app owns its search backend: the routes reach it through app.state (api.deps.SearchDep) and the
    # indexer through the app's dispatcher, so two apps in one process never share one by accident.
    search = search or search_from_settings(settings)
    dispatcher = wiring.dispatcher(
        db,
        search,
        max_attempts=settings.outbox_max_attempts,
        backoff_base=settings.outbox_backoff_base_seconds,
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
    complaint_kit = complaint_service.Kit.from_settings(settings)
    complaint_service.configure(complaint_kit)
    # Deadlines pass at any hour: sweep every few minutes (also `crosstrust complaints sweep` for cron).
    sweeper = (
        IntervalJob(
            "complaint-sweep",
            lambda: complaint_service.sweep(db, complaint_kit),
            settings.complaint_sweep_minutes * 60,
        )
        if settings.complaint_sweep_minutes
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
        batch_sweep.start()
        cut_off = disclosure_exports.recover_interrupted(db, settings.ensure_var_dir())
        if cut_off:
            log.warning("failed %d disclosure exports that a previous run left unfinished", cut_off)
        resolver_.writer.start()
        checkpoint()  # an upgraded ledger's plain-hash entries are anchored before anything else
        if checkpoints is not None:
            checkpoints.start()
        if settings.dispatcher_in_process:
            dispatcher.start(settings.dispatcher_poll_seconds)
        if nightly is not None:
            nightly.start()
        if sweeper is not None:
            sweeper.start()
        if expiry is not None:
            expiry.start()
        try:
            yield
        finally:
            if nightly is not None:
                nightly.stop()
            if checkpoints is not None:
                checkpoints.stop()
            batch_sweep.stop()
            if sweeper is not None:
                sweeper.stop()
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
        settings.public_rate_limit_per_minute,
        settings.public_rate_limit_burst,
        settings.public_rate_limit_max_clients,
    )
    app.state.search = search
    app.state.readiness_probes = {"search": lambda: "ok" if search.ping() else "unreachable"}
    app.state.metrics = Metrics(db)
    app.state.keyring = keyring
    app.state.resolver = resolver_
    app.state.jobs = jobs
    app.state.complaint_kit = complaint_kit
    app.state.enterprise_cards = EnterpriseCards(
        db, providers=None if settings.scan_insurance else {"credit"}
    )
    app.state.unit_claims = UnitClaims(db, enabled=settings.scan_insurance)
    app.state.scan_json = ScanJson(
        app.state.enterprise_cards, settings.resolver_base_url, claims=app.state.unit_claims
    )
    app.state.page_signer = TokenSigner(secret, "page")
    # (session, case_id, tracking_token) -> insurance.claims.CaseRef | None: a consumer's claim names its
    # complaint case; complaints checks the token, insurance never reads complaints' tables.
    app.state.case_verifier = verify_case
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
        complaints.public,
        complaints.router,
        insurance.router,
        insurance.public,
        admin.router,
        pages.router,
        signin_pages.router,
        console_pages.router,
        merchant_pages.router,
        consumer_pages.router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", pages.static_files(), name="static")
    # Sessions and CSRF for the console, merchant and complaint pages (api/pages/web.py).
    page_web.install(app, secret)
    app.state.signin_limiter = RateLimiter(10, 10, settings.public_rate_limit_max_clients)
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
