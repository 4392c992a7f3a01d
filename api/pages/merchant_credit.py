"""The merchant's own credit report (/merchant/credit): what would raise its grade, and its repair
applications and objections to a record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Id
from api.pages import web
from api.pages.merchant import Merchant, invalid
from core.db import id_of
from credit import service as credit
from credit.schemas import ObjectionCreate, RepairCreate
from enterprises import service as enterprises

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


@router.get("/merchant/credit")
def credit_page(request: Request, me: Merchant) -> Response:

    with request.app.state.db.read_session() as s:
        ent = enterprises.get(s, me.enterprise_id)
        view = credit.scorecard_view(s, id_of(ent), public=False)
        advice = credit.repair_advice(s, id_of(ent))
        repairs = credit.list_repairs(s, enterprise_id=ent.id)
        objections = credit.list_objections(s, enterprise_id=ent.id)
    return web.render(
        request,
        "merchant_credit.html",
        {
            "ent": ent,
            "v": view,
            "advice": advice,
            "repairs": repairs,
            "objections": objections,
            "names": credit.display_names(),
        },
    )


def _record(request: Request, me: web.EnterpriseUser, record_id: int) -> int:
    """The record's enterprise, once the session may act for it (another merchant's record: 403)."""
    with request.app.state.db.read_session() as s:
        r = credit.get_record(s, record_id)
    me.ensure_may_act_for(r.enterprise_id)
    return r.enterprise_id


@router.post("/merchant/credit/records/{record_id}/repairs")
def apply_repair(
    request: Request,
    record_id: Id,
    me: Merchant,
    evidence: Annotated[str, Form(max_length=4000)] = "",
    evidence_ref: Annotated[str, Form(max_length=300)] = "",
) -> Response:

    enterprise_id = _record(request, me, record_id)
    try:
        data = RepairCreate.model_validate(
            {"evidence": evidence.strip(), "evidence_ref": evidence_ref.strip()}
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    with request.app.state.db.transaction() as s:
        credit.apply_repair(s, enterprise_id, record_id, data, me)
    return RedirectResponse("/merchant/credit?repair=1#applications", status_code=303)


@router.post("/merchant/credit/records/{record_id}/objections")
def object_to(
    request: Request,
    record_id: Id,
    me: Merchant,
    reason: Annotated[str, Form(max_length=2000)] = "",
    evidence: Annotated[str, Form(max_length=4000)] = "",
) -> Response:

    enterprise_id = _record(request, me, record_id)
    try:
        data = ObjectionCreate.model_validate({"reason": reason.strip(), "evidence": evidence.strip()})
    except ValidationError as exc:
        raise invalid(exc) from None
    with request.app.state.db.transaction() as s:
        credit.object_to(s, enterprise_id, record_id, data, me)
    return RedirectResponse("/merchant/credit?objection=1#applications", status_code=303)
