"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from api.deps import DbDep
from api.problems import media

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database and the search index are reachable",
    responses={
        503: {
            "description": "Not ready: the same report, naming what is unreachable",
            "content": {"application/json": {}},
        }
    },
)
def readyz(request: Request, db: DbDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with db.read_session() as s:
            s.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"unreachable: {type(exc).__name__}"
    for name, probe in request.app.state.readiness_probes.items():
        try:
            checks[name] = probe()
        except Exception as exc:  # noqa: BLE001
            checks[name] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses=media(200, "Prometheus text exposition", "text/plain"),
)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
