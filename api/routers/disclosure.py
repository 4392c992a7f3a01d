"""Searching the disclosures: regulators see every record, the public the public ones."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict

from api.deps import DbDep, Id, public_rate_limit, require
from api.problems import media, responses
from core import csvsafe
from core.clock import utcnow
from core.errors import Conflict, Invalid, NotFound, Unavailable
from core.files import open_private, private_dir
from core.identifiers import validate_country
from core.security import Principal, Role
from disclosure import search
from disclosure.models import Category, ExportJob

router = APIRouter(tags=["disclosure"])
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]

SINGLE = {"q", "date_from", "date_to", "sort", "size", "search_after", "facets", "trend"}
ALLOWED = SINGLE | set(search.FILTER_FIELDS) | {f"not_{f}" for f in search.FILTER_FIELDS}
VALIDATORS = {
    "category": lambda v: Category(v).value,
    "origin_country": validate_country,
    "enterprise_id": lambda v: str(int(v)),
    "hs_prefix": lambda v: (
        v if v.isdigit() and 1 <= len(v) <= 10 else (_ for _ in ()).throw(ValueError("1 to 10 digits"))
    ),
    "grade": lambda v: (
        v if v in ("A", "B", "C", "D") else (_ for _ in ()).throw(ValueError("one of A, B, C, D"))
    ),
}


def parse(request: Request, public_only: bool, extra: frozenset[str] = frozenset()) -> search.SearchQuery:
    params = request.query_params
    unknown = sorted(set(params.keys()) - ALLOWED - extra)
    if unknown:
        raise Invalid.field(unknown[0], f"not a search parameter; use {', '.join(sorted(ALLOWED))}")
    query = search.SearchQuery(q=params.get("q", "").strip()[:200], public_only=public_only)
    for name in search.FILTER_FIELDS:
        for key, target in ((name, query.include), (f"not_{name}", query.exclude)):
            values = [v.strip() for raw in params.getlist(key) for v in raw.split(",") if v.strip()]
            checked = []
            for v in values:
                try:
                    checked.append(VALIDATORS.get(name, str)(v))
                except ValueError as exc:
                    reason = (
                        "not one of " + ", ".join(c.value for c in Category)
                        if name == "category"
                        else str(exc)
                    )
                    raise Invalid.field(key, f"'{v}': {reason}") from None
            if checked:
                target[name] = checked
    if "date_from" in params:
        query.date_from = search.parse_date(params["date_from"], "date_from")
    if "date_to" in params:
        query.date_to = search.parse_date(params["date_to"], "date_to")
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise Invalid.field("date_to", "is before date_from")
    query.sort = params.get("sort", "relevance" if query.q else "date")
    if query.sort not in ("relevance", "date"):
        raise Invalid.field("sort", "relevance or date")
    try:
        query.size = int(params.get("size", "20"))
    except ValueError:
        raise Invalid.field("size", "a whole number") from None
    if not 1 <= query.size <= 100:
        raise Invalid.field("size", "between 1 and 100")
    query.facets = params.get("facets", "true").lower() != "false"
    trend = params.get("trend")
    if trend is not None and trend not in search.INTERVALS:
        raise Invalid.field("trend", "day, week or month")
    query.trend = trend
    if "search_after" in params:
        after = request.app.state.page_signer.loads(params["search_after"], "search_after")
        if not (
            isinstance(after, dict)
            and after.get("sort") == query.sort
            and isinstance(after.get("after"), list)
        ):
            raise Invalid.field("search_after", "the page token belongs to another sort order")
        query.after = after["after"]
    return query


class SearchTotal(BaseModel):
    value: int
    relation: Literal["eq", "gte"]  # "gte": at least `value` (counting stops at 10,000)


class SearchPage(BaseModel):
    total: SearchTotal
    hits: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]
    facets_approximate: bool  # counted over the newest 10,000 matches only: each count a lower bound
    ranking_approximate: bool  # relevance ranks the newest 10,000 matches; the older ones follow by date
    trend: list[dict[str, Any]] | None
    search_after: str | None


def run(request: Request, public_only: bool) -> dict[str, Any]:
    query = parse(request, public_only)
    try:
        result = search.current().search(query)
    except search.SearchUnavailable as exc:
        raise Unavailable(f"search is unavailable: {exc}") from None
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
def regulator_search(request: Request, _: Regulator) -> dict[str, Any]:
    return run(request, public_only=False)


@router.get(
    "/api/v1/public/disclosures/search",
    response_model=SearchPage,
    summary="Search public disclosures",
    dependencies=[Depends(public_rate_limit)],
    responses=SEARCHED,
)
def public_search(request: Request) -> dict[str, Any]:
    return run(request, public_only=True)


@router.get(
    "/api/v1/public/enterprise-names",
    summary="Autocomplete enterprise names",
    dependencies=[Depends(public_rate_limit)],
    responses=responses(503),
)
def autocomplete(
    q: Annotated[str, Query(max_length=200)], limit: Annotated[int, Query(ge=1, le=50)] = 10
) -> list[dict[str, Any]]:
    if not q.strip():
        raise Invalid.field("q", "type at least one character")
    backend = search.current()
    if not hasattr(backend, "autocomplete"):
        raise Unavailable("autocomplete is not available on this search backend")
    return backend.autocomplete(q.strip()[:50], limit)


EXPORT_CAP = 100_000
EXPORT_COLUMNS = (
    "id",
    "category",
    "occurred_at",
    "uscc",
    "enterprise_name",
    "title_zh",
    "title_en",
    "body_zh",
    "body_en",
    "origin_country",
    "hs_code",
    "product_category",
    "grade",
)


def export_lines(backend, query: search.SearchQuery, fmt: str, first: search.SearchResult, cap: int | None):  # noqa: ANN001, ANN201
    """The export's bytes, a line at a time, paging on with search_after (a header first for CSV)."""
    result, sent = first, 0
    if fmt == "csv":
        buf = io.StringIO()
        csvsafe.writer(buf).writerow(EXPORT_COLUMNS)
        yield buf.getvalue().encode("utf-8-sig")  # Excel reads UTF-8 with a BOM
    while True:
        for hit in result.hits:
            if cap is not None and sent >= cap:
                return
            hit.pop("highlight", None)
            if fmt == "csv":
                buf = io.StringIO()
                csvsafe.writer(buf).writerow([hit.get(c) for c in EXPORT_COLUMNS])
                yield buf.getvalue().encode()
            else:
                yield json.dumps(hit, ensure_ascii=False).encode() + b"\n"
            sent += 1
        if not result.next_after or (cap is not None and sent >= cap):
            return
        query.after = result.next_after
        result = backend.search(query)


def _export(request: Request, public_only: bool) -> StreamingResponse:
    """Everything the query finds, newest first, streamed page by page; at most EXPORT_CAP rows."""
    params = request.query_params
    fmt = params.get("format", "csv")
    if fmt not in ("csv", "jsonl"):
        raise Invalid.field("format", "csv or jsonl")
    query = parse(request, public_only, extra=frozenset({"format"}))
    query.sort, query.size, query.facets, query.trend = "date", 500, False, None
    query.exact_total = True
    backend = search.current()
    try:
        first = backend.search(query)
    except search.SearchUnavailable as exc:
        raise Unavailable(f"search is unavailable: {exc}") from None

    def rows():  # noqa: ANN202
        yield from export_lines(backend, query, fmt, first, EXPORT_CAP)

    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    headers = {
        "Content-Disposition": f'attachment; filename="disclosures.{fmt}"',
        "X-Total-Count": str(first.total),
        "X-Export-Capped": "true" if first.total > EXPORT_CAP else "false",
    }
    return StreamingResponse(rows(), media_type=media, headers=headers)


@router.get(
    "/api/v1/disclosures/export",
    summary="Export search results as CSV or JSONL (regulators)",
    response_class=Response,
    responses=EXPORTED,
)
def regulator_export(request: Request, _: Regulator) -> StreamingResponse:
    return _export(request, public_only=False)


@router.get(
    "/api/v1/public/disclosures/export",
    summary="Export public search results as CSV or JSONL",
    dependencies=[Depends(public_rate_limit)],
    response_class=Response,
    responses=EXPORTED,
)
def public_export(request: Request) -> StreamingResponse:
    return _export(request, public_only=True)


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


def _export_path(request: Request, job_id: int, fmt: str) -> Path:
    return (
        private_dir(request.app.state.settings.ensure_var_dir() / "exports") / f"disclosures-{job_id}.{fmt}"
    )


@router.post(
    "/api/v1/disclosures/exports",
    status_code=202,
    response_model=ExportStatus,
    summary="Export without the 100,000-row cap, as a job with progress (regulators)",
    responses=responses(422),
)
def start_export(request: Request, by: Regulator, db: DbDep) -> ExportStatus:
    fmt = request.query_params.get("format", "csv")
    if fmt not in ("csv", "jsonl"):
        raise Invalid.field("format", "csv or jsonl")
    query = parse(request, public_only=False, extra=frozenset({"format"}))
    query.sort, query.size, query.facets, query.trend = "date", 500, False, None
    query.exact_total = True
    backend = search.current()
    with db.transaction() as s:
        job = ExportJob(
            requested_by=by.actor, query=dict(request.query_params), format=fmt, created_at=utcnow()
        )
        s.add(job)
        s.flush()
    path = _export_path(request, job.id, fmt)

    def run() -> None:
        try:
            first = backend.search(query)
            with db.transaction() as s:
                s.get(ExportJob, job.id).total = first.total
            partial = path.with_suffix(path.suffix + ".part")
            rows = 0
            with open_private(partial) as fh:  # regulator-only records: 0600 in a 0700 folder
                for line in export_lines(backend, query, fmt, first, None):
                    fh.write(line)
                    rows += 1
                    if rows % 5000 == 0:
                        with db.transaction() as s:
                            s.get(ExportJob, job.id).rows = rows - (1 if fmt == "csv" else 0)
            partial.replace(path)  # the file appears whole or not at all
            with db.transaction() as s:
                done = s.get(ExportJob, job.id)
                done.rows, done.status, done.finished_at = rows - (1 if fmt == "csv" else 0), "done", utcnow()
        except Exception as exc:
            with db.transaction() as s:
                failed = s.get(ExportJob, job.id)
                failed.status, failed.error, failed.finished_at = (
                    "failed",
                    f"{type(exc).__name__}: {exc}"[:500],
                    utcnow(),
                )
            raise

    request.app.state.jobs.submit(run)
    return ExportStatus.model_validate(job)


def _job(db, job_id: int) -> ExportJob:  # noqa: ANN001
    with db.read_session() as s:
        job = s.get(ExportJob, job_id)
    if job is None:
        raise NotFound(f"no export {job_id}")
    return job


@router.get(
    "/api/v1/disclosures/exports/{job_id}", response_model=ExportStatus, summary="An export's progress"
)
def export_status(job_id: Id, _: Regulator, db: DbDep) -> ExportStatus:
    return ExportStatus.model_validate(_job(db, job_id))


@router.get(
    "/api/v1/disclosures/exports/{job_id}/file",
    summary="Download a finished export",
    response_class=Response,
    responses={**media(200, "The export", "text/csv", "application/x-ndjson"), **responses(409)},
)
def export_file(job_id: Id, request: Request, _: Regulator, db: DbDep) -> FileResponse:
    job = _job(db, job_id)
    if job.status != "done":
        raise Conflict(f"export {job_id} is {job.status}", field="status")
    media = "text/csv; charset=utf-8" if job.format == "csv" else "application/x-ndjson"
    return FileResponse(
        _export_path(request, job.id, job.format),
        media_type=media,
        filename=f"disclosures-{job.id}.{job.format}",
    )
