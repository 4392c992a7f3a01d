"""The complaints a merchant answers (/merchant/complaints): the case with its deadline in working
days, the consumer's evidence (to the case's merchant only), and the answer."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Id
from api.pages import web
from api.pages.merchant import Merchant, invalid, workdays_left
from complaints import service as complaints
from complaints.models import MerchantOutcome
from complaints.schemas import AnswerIn, RejectionReason
from core.db import id_of

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


def _case(request: Request, me: web.EnterpriseUser, complaint_id: int):  # noqa: ANN202
    with request.app.state.db.read_session() as s:
        c = complaints.get(s, complaint_id)
        me.ensure_may_act_for(c.enterprise_id)
        return c, complaints.messages(s, id_of(c))


@router.get("/merchant/complaints/{complaint_id}")
def complaint(request: Request, complaint_id: Id, me: Merchant) -> Response:

    c, messages = _case(request, me, complaint_id)
    with request.app.state.db.read_session() as s:
        evidence = complaints.evidence_of(s, c.id)
    return web.render(
        request,
        "merchant_complaint.html",
        {
            "c": c,
            "messages": messages,
            "evidence": evidence,
            "outcomes": [o.value for o in MerchantOutcome],
            "rejection_reasons": list(get_args(RejectionReason)),
            "left": workdays_left(request, c.merchant_due_at or c.due_at),
        },
    )


@router.get("/merchant/complaints/{complaint_id}/evidence/{evidence_id}")
def evidence(request: Request, complaint_id: Id, evidence_id: Id, me: Merchant) -> Response:
    """A photo the consumer sent with the case, to the case's merchant only (another's: 403), never
    cached by a shared cache and never sniffed into another type."""
    c, _ = _case(request, me, complaint_id)
    with request.app.state.db.read_session() as s:
        media_type, body = complaints.evidence_file(s, request.app.state.complaint_kit, c.id, evidence_id)
    return Response(
        body,
        media_type=media_type,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="evidence-{c.id}-{evidence_id}"',
        },
    )


@router.post("/merchant/complaints/{complaint_id}/answer")
def answer(
    request: Request,
    complaint_id: Id,
    me: Merchant,
    outcome: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    amount_yuan: Annotated[str, Form(max_length=20)] = "",
    rejection_reason: Annotated[str, Form(max_length=40)] = "",
) -> Response:

    c, _ = _case(request, me, complaint_id)
    me.ensure_may_write()
    raw: dict = {"outcome": outcome, "text": text.strip()}
    if amount_yuan.strip():
        raw["amount_minor"] = web.yuan(amount_yuan, "amount_yuan")
    if rejection_reason:
        raw["rejection_reason"] = rejection_reason
    try:
        data = AnswerIn.model_validate(raw)
    except ValidationError as exc:
        raise invalid(exc) from None
    with request.app.state.db.transaction() as s:
        complaints.answer(s, request.app.state.complaint_kit, c.enterprise_id, c.id, data, me)
    return RedirectResponse(f"/merchant/complaints/{c.id}?answered=1", status_code=303)
