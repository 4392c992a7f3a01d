"""Searching the disclosures: regulators see every record, the public the public ones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict

from api.deps import DbDep, Id, SearchDep, public_rate_limit, require
from api.problems import media, responses
from core.errors import Invalid, Unavailable
from core.security import Principal, Role
from disclosure import exports
from disclosure.schemas import ExportParams, SearchParams
from disclosure.search.base import SearchBackend, SearchQuery, SearchResult, SearchUnavailable

router = APIRouter(tags=["disclosure"])
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]
Searched = Annotated[SearchParams, Query()]
Exported = Annotated[ExportParams, Query()]


def page_after(request: Request, params: SearchParams) -> list[Any] | None:
    """The page token's place in the results; signed by this app (its key is the app's), and only good
    for the order it was made in."""
    if params.search_after is None:
        return None
    after = request.app.state.page_signer.loads(params.search_after, "search_after")
    if not (
        isinstance(after, dict) and after.get("sort") == params.order and isinstance(after.get("after"), list)
    ):
        raise Invalid.field("search_after", "the page token belongs to another sort order")
    return after["after"]


def searched(backend: SearchBackend, query: SearchQuery) -> SearchResult:
    try:
        return backend.search(query)
    except SearchUnavailable as exc:
        raise Unavailable(f"search is unavailable: {exc}") from None


class SearchTotal(BaseModel):
    value: int
    relation: Literal["eq", "gte"]  # "gte": more than `value` (counting stops at 10,000)


class SearchPage(BaseModel):
    total: SearchTotal
    hits: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]
    facets_approximate: bool  # counted over the newest `window` matches only: each count a lower bound
    ranking_approximate: bool  # relevance ranks the newest `window` matches; the older ones follow by date
    window: int | None = None  # how many of the newest matches those covered (when either is approximate)
    trend: list[dict[str, Any]] | None
    search_after: str | None


def run(request: Request, params: SearchParams, backend: SearchBackend, public_only: bool) -> dict[str, Any]:
    query = params.to_query(public_only=public_only, after=page_after(request, params))
    result = searched(backend, query)
    token = (
        request.app.state.page_signer.dumps({"sort": query.sort, "after": result.next_after})
        if result.next_after
        else None
    )
    return {
        # As Elasticsearch counts: {"value": 10000, "relation": "gte"} reads "10,000 or more".
        "total": {"value": result.total, "relation": result.total_relation},
        "hits": result.hits,
        "facets": result.facets,
        "facets_approximate": result.facets_approximate,
        "ranking_approximate": result.ranking_approximate,
        "window": result.window,
        "trend": result.trend,
        "search_after": token,
    }


SEARCHED = responses(422, 503)
EXPORTED = {**media(200, "The records found, newest first", "text/csv", "application/x-ndjson"), **SEARCHED}


@router.get(
    "/api/v1/disclosures/search",
    response_model=SearchPage,
    summary="Search all disclosures (regulators)",
    responses=SEARCHED,
)
def regulator_search(request: Request, params: Searched, _: Regulator, backend: SearchDep) -> dict[str, Any]:
    return run(request, params, backend, public_only=False)


@router.get(
    "/api/v1/public/disclosures/search",
    response_model=SearchPage,
    summary="Search public disclosures",
    dependencies=[Depends(public_rate_limit)],
    responses=SEARCHED,
)
def public_search(request: Request, params: Searched, backend: SearchDep) -> dict[str, Any]:
    return run(request, params, backend, public_only=True)


@router.get(
    "/api/v1/public/enterprise-names",
    summary="Autocomplete enterprise names",
    dependencies=[Depends(public_rate_limit)],
    responses=responses(503),
)
def autocomplete(
    backend: SearchDep,
    q: Annotated[str, Query(max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[dict[str, Any]]:
    if not q.strip():
        raise Invalid.field("q", "type at least one character")
    return backend.autocomplete(q.strip()[:50], limit)


def _export(
    params: ExportParams, backend: SearchBackend, request: Request, public_only: bool
) -> StreamingResponse:
    """Everything the query finds, newest first, streamed page by page; at most EXPORT_CAP rows."""
    query = params.to_export_query(public_only=public_only, after=page_after(request, params))
    first = searched(backend, query)
    headers = {
        "Content-Disposition": f'attachment; filename="disclosures.{params.format}"',
        "X-Total-Count": str(first.total),
        "X-Export-Capped": "true" if first.total > exports.EXPORT_CAP else "false",
    }
    return StreamingResponse(
        exports.lines(backend, query, params.format, first, exports.EXPORT_CAP),
        media_type=exports.MEDIA[params.format],
        headers=headers,
    )


@router.get(
    "/api/v1/disclosures/export",
    summary="Export search results as CSV or JSONL (regulators)",
    response_class=Response,
    responses=EXPORTED,
)
def regulator_export(
    request: Request, params: Exported, _: Regulator, backend: SearchDep
) -> StreamingResponse:
    return _export(params, backend, request, public_only=False)


@router.get(
    "/api/v1/public/disclosures/export",
    summary="Export public search results as CSV or JSONL",
    dependencies=[Depends(public_rate_limit)],
    response_class=Response,
    responses=EXPORTED,
)
def public_export(request: Request, params: Exported, backend: SearchDep) -> StreamingResponse:
    return _export(params, backend, request, public_only=True)


class ExportStatus(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    format: str
    status: str
    rows: int
    total: int
    error: str
    created_at: datetime
    finished_at: datetime | None


@router.post(
    "/api/v1/disclosures/exports",
    status_code=202,
    response_model=ExportStatus,
    summary="Export without the 100,000-row cap, as a job with progress (regulators)",
    responses=responses(422),
)
def start_export(
    request: Request, params: Exported, by: Regulator, db: DbDep, backend: SearchDep
) -> ExportStatus:
    query = params.to_export_query(public_only=False, after=page_after(request, params))
    job = exports.start(
        db,
        backend,
        request.app.state.jobs,
        request.app.state.settings.ensure_var_dir(),
        query,
        params.format,
        by.actor,
        params.model_dump(mode="json", exclude_defaults=True),
    )
    return ExportStatus.model_validate(job)


@router.get(
    "/api/v1/disclosures/exports/{job_id}", response_model=ExportStatus, summary="An export's progress"
)
def export_status(job_id: Id, _: Regulator, db: DbDep) -> ExportStatus:
    return ExportStatus.model_validate(exports.get(db, job_id))


@router.get(
    "/api/v1/disclosures/exports/{job_id}/file",
    summary="Download a finished export",
    response_class=Response,
    responses={**media(200, "The export", "text/csv", "application/x-ndjson"), **responses(409)},
)
def export_file(job_id: Id, request: Request, _: Regulator, db: DbDep) -> FileResponse:
    job, path = exports.finished_file(db, request.app.state.settings.ensure_var_dir(), job_id)
    return FileResponse(
        path, media_type=exports.MEDIA[job.format], filename=f"disclosures-{job.id}.{job.format}"
    )
