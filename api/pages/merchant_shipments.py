"""Shipping out of the bonded warehouse (出区) from the merchant's pages: a line, a lot or chosen
codes, through traceability.shipping.ship, the rule the API and the CLI call."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.pages import web
from api.pages.merchant import Merchant, read_form
from core.errors import Conflict, FieldError, Invalid, NotFound
from traceability import shipping

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


def _shipments_page(
    request: Request, values: dict[str, str], errors: list[FieldError], status: int = 200
) -> Response:
    q = request.query_params
    shipped = int(q["shipped"]) if q.get("shipped", "").isdigit() else None
    already = int(q["already"]) if q.get("already", "").isdigit() else 0
    return web.render(
        request,
        "merchant_shipments.html",
        {"values": values, "errors": errors, "shipped": shipped, "already": already},
        status,
    )


@router.get("/merchant/shipments")
def shipments(request: Request, me: Merchant) -> Response:
    return _shipments_page(request, {}, [])


def _number(values: dict[str, str], field: str) -> int | None:
    text = values.get(field, "")
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise Invalid.field(field, "a whole number")
    return int(text)


@router.post("/merchant/shipments")
async def ship(request: Request, me: Merchant) -> Response:
    """Ship a line (from the declaration page), a lot or chosen codes: traceability.shipping.ship, the
    rule the API and the CLI call, scoped to the merchant's own goods (another's is not found)."""
    values = await read_form(request)
    # The codes whole, not cut at 4,000 characters as other fields are: up to one past the most a
    # shipment names, each as long as the API takes it, so that too many is shipping's own answer.
    whole = (await request.form()).get("codes", "")
    text = whole[: (shipping.MAX_CODES + 1) * 302] if isinstance(whole, str) else ""
    codes = [c.strip() for c in text.splitlines() if c.strip()]

    def run() -> shipping.Shipment:
        named: shipping.ShipTarget = {
            "declaration_id": _number(values, "declaration_id"),
            "line_no": _number(values, "line_no"),
            "gtin": values.get("gtin") or None,
            "lot": values.get("lot") or None,
        }
        with request.app.state.db.transaction() as s:
            return shipping.ship(
                s,
                me.enterprise_id,
                me,
                request.app.state.settings.resolver_base_url,
                **named,
                codes=codes or None,
            )

    try:
        done = await run_in_threadpool(run)
    except (Invalid, Conflict, NotFound) as exc:
        return _shipments_page(request, values, exc.errors or [FieldError("form", exc.detail)], exc.status)
    return RedirectResponse(
        f"/merchant/shipments?shipped={done.shipped}&already={done.already_shipped}", status_code=303
    )
