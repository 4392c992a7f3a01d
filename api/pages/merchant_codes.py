"""The merchant's codes: issuing a declaration line's codes as a job (the batch page polls its
progress), and the batch's downloads (codes.csv, label sheets, QR ZIP) by traceability.exports' rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api import downloads
from api.background import start_code_batch
from api.deps import Id, LineNo
from api.pages import web
from api.pages.merchant import Merchant, invalid
from api.pages.merchant_declarations import owned_declaration
from traceability import exports
from traceability import service as trace
from traceability.schemas import IssueCodes

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


def _issue(
    request: Request,
    me: web.EnterpriseUser,
    enterprise_id: int,
    declaration_id: int,
    line_no: int,
    quantity: int,
    signed: bool = False,
):  # noqa: ANN202
    """Reserve the codes in one transaction and run the batch as a job (as the API does); the batch
    page polls its progress."""
    return start_code_batch(request.app.state, me, enterprise_id, declaration_id, line_no, quantity, signed)


@router.post("/merchant/declarations/{declaration_id}/lines/{line_no}/codes")
def issue(
    request: Request,
    declaration_id: Id,
    line_no: LineNo,
    me: Merchant,
    quantity: Annotated[str, Form(max_length=12)] = "",
    signed: Annotated[str, Form(max_length=3)] = "",  # the "signed" box (issue 26): "1" when ticked
) -> Response:
    decl, _ = owned_declaration(request, me, declaration_id)
    me.ensure_may_write()
    try:
        data = IssueCodes.model_validate(
            {"quantity": int(quantity) if quantity.strip().isdigit() else quantity, "signed": signed == "1"}
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    batch = _issue(request, me, decl.enterprise_id, decl.id, line_no, data.quantity, data.signed)
    return RedirectResponse(f"/merchant/batches/{batch.id}", status_code=303)


def _batch(request: Request, me: web.EnterpriseUser, batch_id: int):  # noqa: ANN202
    with request.app.state.db.read_session() as s:
        batch = trace.get_batch(s, batch_id)
    me.ensure_may_act_for(batch.enterprise_id)
    return batch


@router.get("/merchant/batches/{batch_id}")
def batch(request: Request, batch_id: Id, me: Merchant) -> Response:
    b = _batch(request, me, batch_id)
    percent = 100 if b.status == "done" else int(b.issued * 100 / b.quantity) if b.quantity else 0
    return web.render(request, "merchant_batch.html", {"b": b, "percent": percent})


@router.get("/merchant/batches/{batch_id}/codes.csv")
def batch_csv(request: Request, batch_id: Id, me: Merchant) -> Response:
    b = _batch(request, me, batch_id)
    return downloads.codes_csv(request.app.state.db, b.id, request.app.state.settings.resolver_base_url)


def _sheet(
    request: Request, me: web.EnterpriseUser, batch_id: int, kind: str, offset: int, limit: int
) -> Response:
    """The batch (the merchant's own) as the API answers it: traceability.exports' range rule and file."""
    b = _batch(request, me, batch_id)
    base = request.app.state.settings.resolver_base_url
    return downloads.sheet(exports.sheet(request.app.state.db, b.id, kind, base, offset=offset, limit=limit))


@router.get("/merchant/batches/{batch_id}/labels.pdf")
def batch_labels(
    request: Request, batch_id: Id, me: Merchant, offset: int = 0, limit: int = 1000
) -> Response:
    return _sheet(request, me, batch_id, "labels", offset, limit)


@router.get("/merchant/batches/{batch_id}/qr.zip")
def batch_qr(request: Request, batch_id: Id, me: Merchant, offset: int = 0, limit: int = 1000) -> Response:
    return _sheet(request, me, batch_id, "qr", offset, limit)
