"""The regulator console (/console): disclosure search with facets, trends and exports, the enterprise
profile (the complaint desk is api/pages/complaint_desk.py). Every figure comes from the domains' own services and the search
routes' own functions; the console adds only the page around them."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.deps import Id
from api.pages import agency_view, charts, glossary, web
from api.routers import disclosure as search_routes
from core.db import id_of
from core.errors import FieldError, Invalid
from core.identifiers import MAX_ID
from core.security import Principal
from credit.models import Objection, RepairApplication
from disclosure.schemas import LISTS, ExportParams, SearchParams
from disclosure.search.base import FACET_FIELDS

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Staff = Annotated[Principal, Depends(web.console_user)]
M = TypeVar("M", bound=BaseModel)

FACET_NAMES = {
    "category": "类别 Category",
    "origin_country": "原产国 Origin",
    "product_category": "商品类别 Product",
    "grade": "信用等级 Grade",
    "uscc": "企业 Enterprise (USCC)",
}
DRAWS_PAGE = 20
SCANS_PAGE = 30
SCALARS = ("q", "date_from", "date_to", "sort", "size", "search_after", "trend")


# A facet's value as words: a category's name, an enterprise's name (not its bare USCC).
FACET_KINDS = {"category": "disclosure_category", "product_category": "product_category", "grade": "grade"}


def _facet_label(field: str, value: str, named: dict[str, dict]) -> str:
    if field in FACET_KINDS:
        return glossary.word(value, FACET_KINDS[field])
    if field == "uscc":
        e = named.get(str(value).upper())
        return f"{e['name_zh']}（{value}）" if e else str(value)
    return str(value)


def _invalid(exc: ValidationError) -> Invalid:
    errors = [
        FieldError(
            ".".join(str(p) for p in e["loc"]) or "query", glossary.reason(e["msg"], e["type"], e.get("ctx"))
        )
        for e in exc.errors()
    ]
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
    with request.app.state.db.read_session() as s:
        from enterprises import service as enterprises

        named = enterprises.profiles_by_uscc(s, page["facets"].get("uscc", {}).keys())
    return web.render(
        request,
        "console_search.html",
        {
            "params": params,
            "page": page,
            "facet_names": FACET_NAMES,
            "facet_label": lambda field, value: _facet_label(field, value, named),
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
    from insurance import claims as insurance_claims
    from insurance import service as insurance

    with request.app.state.db.read_session() as s:
        ent = enterprises.get(s, enterprise_id)
        card = credit.scorecard_view(s, id_of(ent), public=False) if ent.kind == "merchant" else None
        history = list(reversed(credit.history(s, id_of(ent), limit=24)))
        figures = complaints.merchant_figures(s, id_of(ent))
        recent = complaints.list_for_merchant(s, id_of(ent), limit=10, offset=0)
        names = credit.display_names()
        repairs = credit.list_repairs(s, enterprise_id=ent.id)
        objections = credit.list_objections(s, enterprise_id=ent.id)
        policies = insurance.list_policies(s, enterprise_id=ent.id, limit=50)
        claims = insurance_claims.list_claims(s, enterprise_id=ent.id, limit=50, newest_first=True)
        insurers = enterprises.public_profiles(s, {p.insurer_id for p in policies})
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
            "repairs": repairs,
            "objections": objections,
            "policies": policies,
            "policy_nos": {p.id: p.policy_no for p in policies},
            "claims": claims,
            "insurers": insurers,
            "money": glossary.money,
        },
    )


def _names(s: Any, rows: list) -> dict[int, dict]:  # noqa: ANN401 - a session
    """The enterprises the rows name, by id: a page shows an enterprise's name, never its id."""
    from enterprises import service as enterprises

    return enterprises.public_profiles(s, {r.enterprise_id for r in rows})


@router.get("/console/declarations")
def declaration_queue(request: Request, me: Staff) -> Response:
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        waiting = trace.list_declarations(s, None, 200, 0, "declared")
        inspected = trace.list_declarations(s, None, 200, 0, "inspected")
        names = _names(s, [*waiting, *inspected])
    return web.render(
        request,
        "console_declarations.html",
        {"waiting": waiting, "inspected": inspected, "enterprises": names},
    )


@router.get("/console/declarations/{declaration_id}")
def declaration(request: Request, declaration_id: int, me: Staff) -> Response:
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        decl = trace.get_declaration(s, declaration_id)
        lines = trace.lines_of(s, id_of(decl))
        enterprise = _names(s, [decl]).get(decl.enterprise_id)
        read_only = agency_view.read_only_enterprise(s, me, decl.enterprise_id)
    return web.render(
        request,
        "console_declaration.html",
        {"decl": decl, "lines": lines, "enterprise": enterprise, "read_only": read_only},
    )


def _validated(model: type[M], raw: dict[str, Any]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None


@router.post("/console/declarations/{declaration_id}/{action}")
async def decide(request: Request, declaration_id: int, action: str, me: Staff) -> Response:
    """Inspect (a result per line), release or reject, through the traceability service (not the API's
    route functions, whose signatures follow the API and once broke these pages)."""
    from traceability import service as trace
    from traceability.schemas import Decision, InspectionIn, Reason

    form = await request.form()
    db = request.app.state.db
    resolver_base = request.app.state.settings.resolver_base_url
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
        await run_in_threadpool(_in_transaction, db, trace.inspect, declaration_id, data, me, resolver_base)
    elif action == "release":
        decision = _validated(Decision, {"reason": str(form.get("reason", ""))})
        await run_in_threadpool(
            _in_transaction, db, trace.release, declaration_id, decision.reason, me, resolver_base
        )
    elif action == "reject":
        reason = _validated(Reason, {"reason": str(form.get("reason", ""))})
        await run_in_threadpool(_in_transaction, db, trace.reject, declaration_id, reason.reason, me)
    else:
        raise Invalid.field("action", "one of inspection, release, reject")
    return RedirectResponse(f"/console/declarations/{declaration_id}", status_code=303)


def _in_transaction(db: Any, operation: Any, *args: Any) -> Any:  # noqa: ANN401 - a service's answer
    """A service operation in its own transaction (the pages' writes, as the API's routes make them)."""
    with db.transaction() as s:
        return operation(s, *args)


# --- supervision draws (差别化监管抽检) -----------------------------------------------------------


@router.get("/console/draws")
def draws(request: Request, me: Staff, offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> Response:
    """Run a draw, and the draws before, newest first."""
    from credit import supervision
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        past = supervision.recent(s, limit=DRAWS_PAGE + 1, offset=offset)
        waiting = len(trace.awaiting_inspection(s))
    return web.render(
        request,
        "console_draws.html",
        {
            "past": [supervision.view(d) for d in past[:DRAWS_PAGE]],
            "waiting": waiting,
            "offset": offset,
            "next_offset": offset + DRAWS_PAGE if len(past) > DRAWS_PAGE else None,
        },
    )


@router.post("/console/draws")
async def run_draw(request: Request, me: Staff) -> Response:
    """Draw from the declarations waiting for inspection; inspectors one a line (or separated by ，/,)."""
    from credit import supervision
    from credit.schemas import DrawRequest

    form = await request.form()
    names = [n.strip() for n in re.split(r"[\n,，、;；]+", str(form.get("inspectors", ""))) if n.strip()]
    seed = str(form.get("seed", "")).strip().lower() or None
    data = _validated(DrawRequest, {"inspectors": names, "seed": seed})

    def drawn() -> int:
        with request.app.state.db.transaction() as s:
            return id_of(supervision.draw(s, data.inspectors, me, data.seed))

    draw_id = await run_in_threadpool(drawn)
    return RedirectResponse(f"/console/draws/{draw_id}", status_code=303)


def _draw_page(request: Request, draw_id: int, replay: bool) -> Response:
    from credit import supervision
    from enterprises import service as enterprises

    with request.app.state.db.read_session() as s:
        d = supervision.get(s, draw_id)
        view = supervision.view(d)
        importers = enterprises.profiles_by_uscc(s, [row["importer_uscc"] for row in view["selection"]])
    replayed = None
    if replay:
        # The replay recomputes from the published inputs and seed alone, as anyone holding them can.
        _, selected = supervision.draw_from(d.inputs, d.seed)
        replayed = {
            **supervision.replay(d),
            "selected": selected,
            "same_selection": [r["declaration_no"] for r in selected]
            == [r["declaration_no"] for r in d.selected],
        }
    return web.render(
        request,
        "console_draw.html",
        {
            "d": view,
            "importers": importers,
            "replayed": replayed,
            "public_url": f"/draws/{d.id}",  # the public record, as a page (api/pages/complaint_desk.py)
        },
    )


@router.get("/console/draws/{draw_id}")
def draw_detail(request: Request, draw_id: Id, me: Staff) -> Response:
    return _draw_page(request, draw_id, replay=False)


@router.get("/console/draws/{draw_id}/replay")
def draw_replay(request: Request, draw_id: Id, me: Staff) -> Response:
    """A replay reads only: a link, not a form (nothing changes, so no CSRF token is needed)."""
    return _draw_page(request, draw_id, replay=True)


# --- credit repairs (信用修复) and objections (异议) ------------------------------------------------


@router.get("/console/credit")
def credit_queue(request: Request, me: Staff) -> Response:
    """Pending repair applications (by their decision deadline) and open objections, each with its
    evidence and the record it is about."""
    from credit import service as credit
    from enterprises import service as enterprises

    with request.app.state.db.read_session() as s:
        repairs = credit.list_repairs(s, status="pending")
        objections = credit.list_objections(s, status="open")
        asked: list[RepairApplication | Objection] = [*repairs, *objections]
        records = {a.record_id: credit.record_snapshot(s, a.record_id) for a in asked}
        names = enterprises.public_profiles(s, {a.enterprise_id for a in asked})
        theirs = agency_view.foreign(s, me, {a.enterprise_id for a in asked})
    decided = str(request.query_params.get("decided", ""))
    return web.render(
        request,
        "console_credit.html",
        {
            "repairs": repairs,
            "objections": objections,
            "records": records,
            "enterprises": names,
            "theirs": theirs,
            "names": credit.display_names(),
            "decided": decided if re.fullmatch(r"(repair|objection)-\d{1,12}-\d{1,12}", decided) else "",
        },
    )


@router.post("/console/credit/{what}/{item_id}/decision")
async def credit_decision(request: Request, what: str, item_id: Id, me: Staff) -> Response:
    """Approve or reject a repair, uphold or dismiss an objection, with the reason given on the page."""
    from credit import service as credit
    from credit.schemas import Decision

    if what not in ("repairs", "objections"):
        raise Invalid.field("what", "one of repairs, objections")
    form = await request.form()
    choice = str(form.get("approve", ""))
    if choice not in ("true", "false"):
        raise Invalid.field("approve", "choose approve (true) or reject (false)")
    data = _validated(Decision, {"approve": choice == "true", "reason": str(form.get("reason", "")).strip()})
    operation = credit.decide_repair if what == "repairs" else credit.decide_objection
    decided = await run_in_threadpool(_in_transaction, request.app.state.db, operation, item_id, data, me)
    return RedirectResponse(
        f"/console/credit?decided={what[:-1]}-{item_id}-{decided.enterprise_id}", status_code=303
    )


# --- suspicious scans (可疑扫描) -------------------------------------------------------------------


@router.get("/console/scans")
def suspicious_feed(
    request: Request, me: Staff, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> Response:
    from enterprises import service as enterprises
    from traceability import suspicious

    policy = request.app.state.resolver.policy
    with request.app.state.db.read_session() as s:
        feed, next_before = suspicious.suspicious_scans(s, policy, limit=SCANS_PAGE, before_id=before)
        names = enterprises.public_profiles(s, {x["enterprise_id"] for x in feed})
    return web.render(
        request,
        "console_scans.html",
        {
            "feed": feed,
            "enterprises": names,
            "policy": policy,
            "paged": before is not None,
            "next_url": f"/console/scans?before={next_before}" if next_before else None,
        },
    )
