"""The merchant pages (/merchant): its declarations and their status, code issuance with a progress bar,
the batch's downloads, and the complaints to answer with their deadlines in working days.

A merchant's session is bound to its key's enterprise: every record is loaded by id and then checked
with `Principal.ensure_may_act_for`, the same rule the API uses, so another merchant's record is a 403
page. Issuing and the downloads call the API's own route functions: one code path for both."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.pages import web
from api.pages.console import _invalid
from api.routers import traceability as trace_routes
from core.clock import as_utc, utcnow
from core.errors import Invalid
from core.security import Principal
from traceability.schemas import IssueCodes

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Merchant = Annotated[Principal, Depends(web.merchant_user)]


def workdays_left(request: Request, due) -> int | None:  # noqa: ANN001 - datetime | None
    """Working days from today to a deadline (negative: overdue), on the complaints' own calendar."""
    if due is None:
        return None
    clocks = request.app.state.complaint_kit.clocks
    now, due = utcnow(), as_utc(due)
    return clocks.workdays_between(now, due) if due >= now else -clocks.workdays_between(due, now)


@router.get("/merchant")
def home(request: Request, me: Merchant) -> Response:
    from complaints import service as complaints
    from enterprises import service as enterprises
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        ent = enterprises.get(s, me.enterprise_id)
        declarations = trace.list_declarations(s, ent.id, 50, 0)
        cases = complaints.list_for_merchant(s, ent.id, limit=50, offset=0)
        figures = complaints.merchant_figures(s, ent.id)
    open_cases = [
        {"case": c, "left": workdays_left(request, c.merchant_due_at or c.due_at)}
        for c in cases
        if c.status == "received"
    ]
    open_cases.sort(key=lambda x: (x["left"] is None, x["left"] if x["left"] is not None else 0))
    return web.render(
        request,
        "merchant_home.html",
        {
            "ent": ent,
            "declarations": declarations,
            "open_cases": open_cases,
            "cases": cases,
            "figures": figures,
        },
    )


def _declaration(request: Request, me: Principal, declaration_id: int):  # noqa: ANN202
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        decl = trace.get_declaration(s, declaration_id)
        me.ensure_may_act_for(decl.enterprise_id)
        return decl, trace.lines_of(s, decl.id)


@router.get("/merchant/declarations/{declaration_id}")
def declaration(request: Request, declaration_id: int, me: Merchant) -> Response:
    decl, lines = _declaration(request, me, declaration_id)
    return web.render(request, "merchant_declaration.html", {"decl": decl, "lines": lines})


@router.post("/merchant/declarations/{declaration_id}/lines/{line_no}/codes")
def issue(
    request: Request,
    declaration_id: int,
    line_no: int,
    me: Merchant,
    quantity: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    decl, _ = _declaration(request, me, declaration_id)
    me.ensure_may_write()
    try:
        data = IssueCodes.model_validate(
            {"quantity": int(quantity) if quantity.strip().isdigit() else quantity}
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    batch = trace_routes.issue_codes(
        decl.enterprise_id, decl.id, line_no, data, request, request.app.state.db, me, Response()
    )
    return RedirectResponse(f"/merchant/batches/{batch.id}", status_code=303)


def _batch(request: Request, me: Principal, batch_id: int):  # noqa: ANN202
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        batch = trace.get_batch(s, batch_id)
    me.ensure_may_act_for(batch.enterprise_id)
    return batch


@router.get("/merchant/batches/{batch_id}")
def batch(request: Request, batch_id: int, me: Merchant) -> Response:
    b = _batch(request, me, batch_id)
    percent = 100 if b.status == "done" else int(b.issued * 100 / b.quantity) if b.quantity else 0
    return web.render(request, "merchant_batch.html", {"b": b, "percent": percent})


@router.get("/merchant/batches/{batch_id}/codes.csv")
def batch_csv(request: Request, batch_id: int, me: Merchant) -> Response:
    b = _batch(request, me, batch_id)
    return trace_routes.export_csv(b.enterprise_id, b.id, request, request.app.state.db)


@router.get("/merchant/batches/{batch_id}/labels.pdf")
def batch_labels(
    request: Request, batch_id: int, me: Merchant, offset: int = 0, limit: int = 1000
) -> Response:
    b = _batch(request, me, batch_id)
    if not (0 <= offset <= 10_000_000 and 1 <= limit <= 20_000):
        raise Invalid.field("limit", "offset 0 to 10,000,000 and limit 1 to 20,000")
    return trace_routes.export_labels(b.enterprise_id, b.id, request, request.app.state.db, offset, limit)


@router.get("/merchant/batches/{batch_id}/qr.zip")
def batch_qr(request: Request, batch_id: int, me: Merchant, offset: int = 0, limit: int = 1000) -> Response:
    b = _batch(request, me, batch_id)
    if not (0 <= offset <= 10_000_000 and 1 <= limit <= 20_000):
        raise Invalid.field("limit", "offset 0 to 10,000,000 and limit 1 to 20,000")
    return trace_routes.export_qr_zip(b.enterprise_id, b.id, request, request.app.state.db, offset, limit)


def _case(request: Request, me: Principal, complaint_id: int):  # noqa: ANN202
    from complaints import service as complaints

    with request.app.state.db.read_session() as s:
        c = complaints.get(s, complaint_id)
        me.ensure_may_act_for(c.enterprise_id)
        return c, complaints.messages(s, c.id)


@router.get("/merchant/complaints/{complaint_id}")
def complaint(request: Request, complaint_id: int, me: Merchant) -> Response:
    c, messages = _case(request, me, complaint_id)
    return web.render(
        request,
        "merchant_complaint.html",
        {"c": c, "messages": messages, "left": workdays_left(request, c.merchant_due_at or c.due_at)},
    )


@router.post("/merchant/complaints/{complaint_id}/answer")
def answer(
    request: Request,
    complaint_id: int,
    me: Merchant,
    outcome: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    amount_yuan: Annotated[str, Form(max_length=20)] = "",
    rejection_reason: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    from complaints import service as complaints
    from complaints.schemas import AnswerIn

    c, _ = _case(request, me, complaint_id)
    me.ensure_may_write()
    raw: dict = {"outcome": outcome, "text": text.strip()}
    if amount_yuan.strip():
        try:
            raw["amount_minor"] = round(float(amount_yuan) * 100)
        except ValueError:
            raise Invalid.field("amount_yuan", "an amount in yuan, such as 35.50") from None
    if rejection_reason:
        raw["rejection_reason"] = rejection_reason
    try:
        data = AnswerIn.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None
    with request.app.state.db.transaction() as s:
        complaints.answer(s, request.app.state.complaint_kit, c.enterprise_id, c.id, data, me)
    return RedirectResponse(f"/merchant/complaints/{c.id}?answered=1", status_code=303)
