"""The FastAPI application factory: wires settings, database, routers, errors, metrics and the dispatcher."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import problems
from api.metrics import Metrics, MetricsMiddleware
from api.pages import routes as pages
from api.ratelimit import RateLimiter
from api.routers import admin, enterprises, health, public
from api.wiring import load_handlers
from core.db import Database
from core.events import Dispatcher
from core.settings import Settings, get_settings

log = logging.getLogger("crosstrust")


def _search_probe(settings: Settings) -> Callable[[], str]:
    def probe() -> str:
        if not settings.search_url:
            return "ok"
        from elasticsearch import Elasticsearch

        with Elasticsearch(settings.search_url, request_timeout=2) as es:
            return "ok" if es.ping() else "unreachable"

    return probe


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    load_handlers()
    db = db or Database(settings.effective_database_url)
    dispatcher = Dispatcher(
        db, max_attempts=settings.outbox_max_attempts, backoff_base=settings.outbox_backoff_base_seconds
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.dispatcher_in_process:
            dispatcher.start(settings.dispatcher_poll_seconds)
        try:
            yield
        finally:
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
    app.state.readiness_probes = {"search": _search_probe(settings)}
    app.state.metrics = Metrics(db)

    problems.install(app)
    for router in (health.router, public.router, enterprises.router, admin.router, pages.router):
        app.include_router(router)
    app.mount("/static", pages.static_files(), name="static")
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


def factory() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:factory`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app()
