"""The pages of pledges (信用承诺), tolerance (容错纠错), joint measures (联合奖惩) and repair with coaching
(诊断-辅导-修复-提升): the merchant's own (/merchant/credit/trust) and the regulator's desk
(/console/credit/trust). They call the same services as the API (credit.pledges, credit.tolerance,
credit.measures, credit.coaching); a merchant's session acts only for its own enterprise, and a record of
another merchant is not found."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.deps import Id
from api.pages import agency_view, glossary, web
from api.problems import _field_path, _reason
from core.errors import FieldError, Invalid
from core.security import Principal
from credit import coaching, measures, pledges, service, tolerance
from credit import methodology as methodology_
from credit.trust_schemas import (
    Correction,
    PlanCreate,
    PledgeBreach,
    PledgeCreate,
    TaskCreate,
    TaskReport,
    Verdict,
)
from enterprises import service as enterprises

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Merchant = Annotated[web.EnterpriseUser, Depends(web.merchant_user)]
Staff = Annotated[Principal, Depends(web.console_user)]
M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], raw: dict[str, Any]) -> M:
    """A form's fields through the API's schema: a bad one is named with the API's reason, in words."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [
            FieldError(
                _field_path(e.get("loc", ())) or "form",
                glossary.reason(_reason(e), e.get("type", ""), e.get("ctx")),
            )
            for e in exc.errors()
        ]
        raise Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors) from None


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip()[:4000] for k, v in form.items() if isinstance(v, str) and k != "csrftoken"}


def _in_transaction(db: Any, operation: Any, *args: Any) -> Any:  # noqa: ANN401 - a service's answer
    with db.transaction() as s:
        return operation(s, *args)


def _rules() -> dict[str, Any]:
    """The methodology's words: procedures, tolerance rules, departments, kinds (zh, en)."""
    m = methodology_.current()
    return {"trust": m.trust, "kinds": {k.code: (k.name_zh, k.name_en) for k in m.kinds.values()}}


def _tolerance_rows(s: Any, rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {"t": t, "record": service.record_snapshot(s, t.record_id), "effect": tolerance.effect(t)}
        for t in rows
    ]


# --- the merchant's page ---------------------------------------------------------------------------


@router.get("/merchant/credit/trust")
def merchant_page(request: Request, me: Merchant) -> Response:
    eid = me.enterprise_id
    with request.app.state.db.read_session() as s:
        ent = enterprises.get(s, eid)
        context = {
            "ent": ent,
            "pledges": [(p, pledges.effect(s, p)) for p in pledges.of(s, eid)],
            "barred_until": pledges.barred_until(s, eid),
            "tolerances": _tolerance_rows(s, tolerance.of(s, eid)),
            "measures": measures.for_enterprise(s, eid),
            "diagnosis": coaching.diagnose(s, eid),
            "plans": [coaching.view(s, p) for p in coaching.plans(s, eid)],
            "done": str(request.query_params.get("done", ""))[:20],
            **_rules(),
        }
    return web.render(request, "merchant_trust.html", context)


@router.post("/merchant/credit/trust/pledges")
async def pledge(request: Request, me: Merchant) -> Response:
    f = await _form(request)
    raw: dict[str, Any] = {k: f.get(k, "") for k in ("procedure", "obligations_zh", "obligations_en")}
    raw["days"] = f.get("days", "")
    data = _validated(PledgeCreate, raw)
    await run_in_threadpool(_in_transaction, request.app.state.db, pledges.make, me.enterprise_id, data, me)
    return RedirectResponse("/merchant/credit/trust?done=pledge#pledges", status_code=303)


@router.post("/merchant/credit/trust/tolerances/{tolerance_id}/correction")
async def correction(request: Request, tolerance_id: Id, me: Merchant) -> Response:
    data = _validated(Correction, {"correction": (await _form(request)).get("correction", "")})
    db = request.app.state.db
    await run_in_threadpool(_in_transaction, db, tolerance.correct, me.enterprise_id, tolerance_id, data, me)
    return RedirectResponse("/merchant/credit/trust?done=correction#tolerances", status_code=303)


@router.post("/merchant/credit/trust/tasks/{task_id}/report")
async def report(request: Request, task_id: Id, me: Merchant) -> Response:
    data = _validated(TaskReport, {"report": (await _form(request)).get("report", "")})
    db = request.app.state.db
    await run_in_threadpool(_in_transaction, db, coaching.report_task, me.enterprise_id, task_id, data, me)
    return RedirectResponse("/merchant/credit/trust?done=report#coaching", status_code=303)


# --- the regulator's desk ----------------------------------------------------------------------------


@router.get("/console/credit/trust")
def console_page(request: Request, me: Staff) -> Response:
    with request.app.state.db.read_session() as s:
        open_ = _tolerance_rows(s, tolerance.open_ones(s))
        live = pledges.listing(s, "active")
        broken = pledges.listing(s, "broken", limit=20)
        plans = [coaching.view(s, p) for p in coaching.plans(s)]
        sent = measures.notices(s, limit=50)
        ids = {x["t"].enterprise_id for x in open_} | {p.enterprise_id for p in [*live, *broken]}
        ids |= {p["enterprise_id"] for p in plans} | {n.enterprise_id for n in sent}
        context = {
            "tolerances": open_,
            "live": live,
            "broken": [(p, pledges.effect(s, p)) for p in broken],
            "plans": plans,
            "notices": sent,
            "enterprises": enterprises.public_profiles(s, ids),
            "theirs": agency_view.foreign(s, me, ids),
            "done": str(request.query_params.get("done", ""))[:20],
            **_rules(),
        }
    return web.render(request, "console_trust.html", context)


def _verdict(f: dict[str, str]) -> Verdict:
    choice = f.get("approve", "")
    if choice not in ("true", "false"):
        raise Invalid.field("approve", "choose approve (true) or refuse (false)")
    return _validated(Verdict, {"approve": choice == "true", "reason": f.get("reason", "")})


@router.post("/console/credit/trust/pledges/{pledge_id}/breach")
async def breach(request: Request, pledge_id: Id, me: Staff) -> Response:
    f = await _form(request)
    data = _validated(PledgeBreach, {"severity": f.get("severity", ""), "reason": f.get("reason", "")})
    await run_in_threadpool(_in_transaction, request.app.state.db, pledges.breach, pledge_id, data, me)
    return RedirectResponse("/console/credit/trust?done=breach#pledges", status_code=303)


@router.post("/console/credit/trust/tolerances/{tolerance_id}/decision")
async def decide_tolerance(request: Request, tolerance_id: Id, me: Staff) -> Response:
    data = _verdict(await _form(request))
    await run_in_threadpool(_in_transaction, request.app.state.db, tolerance.decide, tolerance_id, data, me)
    return RedirectResponse("/console/credit/trust?done=tolerance#tolerances", status_code=303)


@router.post("/console/credit/trust/sweep")
async def sweep(request: Request, me: Staff) -> Response:
    await run_in_threadpool(_in_transaction, request.app.state.db, tolerance.sweep, me.actor)
    return RedirectResponse("/console/credit/trust?done=sweep#tolerances", status_code=303)


@router.post("/console/credit/trust/coaching")
async def open_plan(request: Request, me: Staff) -> Response:
    data = _validated(PlanCreate, await _form(request))
    await run_in_threadpool(_in_transaction, request.app.state.db, coaching.open_plan, data, me)
    return RedirectResponse("/console/credit/trust?done=plan#coaching", status_code=303)


@router.post("/console/credit/trust/coaching/{plan_id}/tasks")
async def add_task(request: Request, plan_id: Id, me: Staff) -> Response:
    f = await _form(request)
    raw = {k: f.get(k, "") for k in ("title_zh", "title_en", "due_on")}
    if f.get("record_id"):
        raw["record_id"] = f["record_id"]
    data = _validated(TaskCreate, raw)
    await run_in_threadpool(_in_transaction, request.app.state.db, coaching.add_task, plan_id, data, me)
    return RedirectResponse("/console/credit/trust?done=task#coaching", status_code=303)


@router.post("/console/credit/trust/tasks/{task_id}/decision")
async def confirm_task(request: Request, task_id: Id, me: Staff) -> Response:
    data = _verdict(await _form(request))
    await run_in_threadpool(_in_transaction, request.app.state.db, coaching.confirm_task, task_id, data, me)
    return RedirectResponse("/console/credit/trust?done=confirm#coaching", status_code=303)
