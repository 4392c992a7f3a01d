"""Prometheus metrics: request counts and latencies per route, and the outbox's lag.

With several API processes (`crosstrust serve --workers N`, or services sharing PROMETHEUS_MULTIPROC_DIR)
prometheus-client's multiprocess mode is on: each process writes its counters to files in that
directory and a scrape of any process sums them all, so /metrics does not depend on which process the
load balancer picked."""

from __future__ import annotations

import os
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.types import ASGIApp, Receive, Scope, Send

from core.db import Database
from core.events import outbox_stats


class OutboxCollector:
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self):
        try:
            with self.db.read_session() as s:
                stats = outbox_stats(s)
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is busy
            return
        yield GaugeMetricFamily("crosstrust_outbox_pending", "Deliveries waiting", value=stats["pending"])
        yield GaugeMetricFamily("crosstrust_outbox_dead", "Deliveries parked as dead", value=stats["dead"])
        yield GaugeMetricFamily(
            "crosstrust_outbox_lag_seconds", "Age of the oldest pending delivery", value=stats["lag_seconds"]
        )


class Metrics:
    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "crosstrust_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "crosstrust_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.scans = Counter("crosstrust_scans", "Code scans by verdict", ["verdict"], registry=self.registry)
        self.scan_seconds = Histogram(
            "crosstrust_scan_seconds",
            "Scan latency inside the server",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
            registry=self.registry,
        )
        self.outbox = OutboxCollector(db)
        self.registry.register(self.outbox)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            registry.register(self.outbox)
            return generate_latest(registry)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware), labelled by route template so label sets stay bounded."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._cache: dict[tuple[str, str, int], tuple] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            counter, histogram = self._children(scope.get("method", ""), template, status)
            counter.inc()
            histogram.observe(time.perf_counter() - start)

    def _children(self, method: str, template: str, status: int):
        # Label lookups are cached: on the scan path they would cost more than the counting.
        key = (method, template, status)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = (
                self.metrics.requests.labels(method, template, str(status)),
                self.metrics.latency.labels(method, template),
            )
        return hit
