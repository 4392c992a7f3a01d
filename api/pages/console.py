"""The regulator console (/console): disclosure search with facets, trends and exports, the enterprise
profile, and the complaint queue. Every figure comes from the domains' own services and the search
routes' own functions; the console adds only the page around them."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages import charts, web
from api.routers import disclosure as search_routes
from core.errors import FieldError, Invalid
from core.security import Principal
from disclosure.schemas import LISTS, ExportParams, SearchParams
from disclosure.search.base import FACET_FIELDS

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Staff = Annotated[Principal, Depends(web.console_user)]

FACET_NAMES = {
    "category": "类别 Category",
    "origin_country": "原产国 Origin",
    "product_category": "商品类别 Product",
    "grade": "信用等级 Grade",
    "uscc": "企业 Enterprise (USCC)",
}
SCALARS = ("q", "date_from", "date_to", "sort", "size", "search_after", "trend")


def _invalid(exc: ValidationError) -> Invalid:
    errors = [FieldError(".".join(str(p) for p in e["loc"]) or "query", e["msg"]) for e in exc.errors()]
    return Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)


def _query_dict(request: Request, model: type[SearchParams]) -> dict[str, Any]:
    qp = request.query_params
    raw: dict[str, Any] = {k: qp[k] for k in (*SCALARS, "format") if qp.get(k)}
    raw.update({k: qp.getlist(k) for k in LISTS if qp.getlist(k)})
    if "format" not in model.model_fields:
        raw.pop("format", None)
    return raw


def _params(request: Request, model: type[SearchParams] = SearchParams) -> Any:
    try:
        return model.model_validate(_query_dict(request, model))
    except ValidationError as exc:
        raise _invalid(exc) from None


@router.get("/console")
def search(request: Request, me: Staff) -> Response:
    params = _params(request)
    if params.trend is None:
        params.trend = "month"
    page = search_routes.run(request, params, request.app.state.search, public_only=False)
    base = {k: v for k, v in _query_dict(request, SearchParams).items() if k != "search_after"}
    selected = {f: set(getattr(params, f)) for f in FACET_FIELDS}
    next_url = "/console?" + urlencode({**base, "search_after": page["search_after"]}, doseq=True)
    trend = [(t["period"], t["count"]) for t in page["trend"] or []]
    return web.render(
        request,
        "console_search.html",
        {
            "params": params,
            "page": page,
            "facet_names": FACET_NAMES,
            "selected": selected,
            "first_url": "/console?" + urlencode(base, doseq=True),
            "next_url": next_url if page["search_after"] else None,
            "export_query": urlencode(base, doseq=True),
            "paged": params.search_after is not None,
            "trend_chart": charts.bars(trend, "按月统计的公示记录 Records by month") if trend else None,
            "trend": trend,
        },
    )


@router.get("/console/export")
def export(request: Request, me: Staff) -> Response:
    params = _params(request, ExportParams)
    return search_routes._export(params, request.app.state.search, request, public_only=False)


@router.get("/console/enterprises/{enterprise_id}")
def enterprise(request: Request, enterprise_id: int, me: Staff) -> Response:
    from complaints import service as complaints
    from credit import service as credit
    from enterprises import service as enterprises

    with request.app.state.db.read_session() as s:
        ent = enterprises.get(s, enterprise_id)
        card = credit.scorecard_view(s, ent.id, public=False) if ent.kind == "merchant" else None
        history = list(reversed(credit.history(s, ent.id, limit=24)))
        figures = complaints.merchant_figures(s, ent.id)
        recent = complaints.list_for_merchant(s, ent.id, limit=10, offset=0)
        names = credit.display_names()
    points = [(h.computed_at.strftime("%m-%d"), h.score) for h in history]
    return web.render(
        request,
        "console_enterprise.html",
        {
            "ent": ent,
            "card": card,
            "names": names,
            "history": history,
            "history_chart": charts.line(points, "信用评分历史 Score history") if points else None,
            "figures": figures,
            "recent": recent,
        },
    )


@router.get("/console/complaints")
def complaint_queue(request: Request, me: Staff) -> Response:
    """Overdue cases first (the complaints domain's own mark), then the rest by their deadline."""
    from complaints import service as complaints
    from complaints.schemas import QueueQuery

    with request.app.state.db.read_session() as s:
        overdue = complaints.queue(s, QueueQuery(overdue=True, limit=200))
        others = complaints.queue(s, QueueQuery(overdue=False, limit=200))
        figures = complaints.figures(s)
    return web.render(
        request, "console_complaints.html", {"overdue": overdue, "others": others, "figures": figures}
    )


@router.get("/console/declarations")
def declaration_queue(request: Request, me: Staff) -> Response:
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        waiting = trace.list_declarations(s, None, 200, 0, "declared")
        inspected = trace.list_declarations(s, None, 200, 0, "inspected")
    return web.render(request, "console_declarations.html", {"waiting": waiting, "inspected": inspected})


@router.get("/console/declarations/{declaration_id}")
def declaration(request: Request, declaration_id: int, me: Staff) -> Response:
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        decl = trace.get_declaration(s, declaration_id)
        lines = trace.lines_of(s, decl.id)
    return web.render(request, "console_declaration.html", {"decl": decl, "lines": lines})


def _validated(model: type, raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None


@router.post("/console/declarations/{declaration_id}/{action}")
async def decide(request: Request, declaration_id: int, action: str, me: Staff) -> Response:
    """Inspect (a result per line), release or reject, through the API's own route functions."""
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import RedirectResponse

    from traceability.schemas import Decision, InspectionIn, Reason

    form = await request.form()
    db = request.app.state.db
    if action == "inspection":
        lines = []
        for key, value in form.multi_items():
            if key.startswith("result_") and key[7:].isdigit():
                n = key[7:]
                lines.append(
                    {
                        "line_no": int(n),
                        "result": value,
                        "lab_report_ref": str(form.get(f"lab_{n}", "")),
                        "tests_performed": [t for t in str(form.get(f"tests_{n}", "")).split("，") if t],
                    }
                )
        data = _validated(InspectionIn, {"lines": lines})
        await run_in_threadpool(
            partial(
                trace_routes().inspect,
                declaration_id=declaration_id,
                data=data,
                request=request,
                db=db,
                by=me,
            )
        )
    elif action == "release":
        data = _validated(Decision, {"reason": str(form.get("reason", ""))})
        await run_in_threadpool(
            partial(
                trace_routes().release,
                declaration_id=declaration_id,
                request=request,
                db=db,
                by=me,
                data=data,
            )
        )
    elif action == "reject":
        data = _validated(Reason, {"reason": str(form.get("reason", ""))})
        await run_in_threadpool(
            partial(trace_routes().reject, declaration_id=declaration_id, data=data, db=db, by=me)
        )
    else:
        raise Invalid.field("action", "one of inspection, release, reject")
    return RedirectResponse(f"/console/declarations/{declaration_id}", status_code=303)


def trace_routes():  # noqa: ANN201 - the module
    from api.routers import traceability

    return traceability
