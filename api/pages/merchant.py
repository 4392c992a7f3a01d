"""The merchant pages (/merchant): the home page, and what every merchant page shares (the session's
merchant, forms read and their errors named as the API names them, working days to a deadline). Each
concern has its page module: `merchant_declarations`, `merchant_codes` (issuance with a progress bar and
the batch's downloads), `merchant_shipments`, `merchant_products` (and GTIN grants),
`merchant_complaints`, `merchant_insurance`, `merchant_credit` (its own report, repair and objections).

A merchant's session is bound to its key's enterprise: every record is loaded by id and then checked
with `Principal.ensure_may_act_for`, the same rule the API uses, so another merchant's record is a 403
page. The pages call the domains' services (as the API's routes do), never the routes themselves; a
form's bad field is shown next to it with the reason the API's problem document would give."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages import glossary, web
from api.problems import _field_path, _reason
from complaints import service as complaints
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import FieldError, Invalid
from core.workdays import CHINA_TZ
from enterprises import service as enterprises
from traceability import service as trace

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


Merchant = Annotated[web.EnterpriseUser, Depends(web.merchant_user)]


def china_today() -> str:
    """Today's date where the merchant works (China time): a form's default date, which the services
    read as a Beijing date (from 16:00 UTC, UTC's date is already yesterday there)."""
    return utcnow().astimezone(CHINA_TZ).date().isoformat()


def form_errors(exc: ValidationError) -> list[FieldError]:
    """A form's validation errors as the API's problem document names them (`lines.0.lot`, with the
    same reason), so the page can show each next to its field."""
    return [
        FieldError(
            _field_path(e.get("loc", ())) or "form",
            glossary.reason(_reason(e), e.get("type", ""), e.get("ctx")),
        )
        for e in exc.errors()
    ]


def invalid(exc: ValidationError) -> Invalid:
    errors = form_errors(exc)
    return Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)


def workdays_left(request: Request, due) -> int | None:  # noqa: ANN001 - datetime | None
    """Working days from today to a deadline (negative: overdue), on the complaints' own calendar."""
    if due is None:
        return None
    clocks = request.app.state.complaint_kit.clocks
    now, due = utcnow(), as_utc(due)
    return clocks.workdays_between(now, due) if due >= now else -clocks.workdays_between(due, now)


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's text fields, each cut at 4,000 characters (the schemas bound them tighter)."""
    form = await request.form()
    return {k: v.strip()[:4000] for k, v in form.items() if isinstance(v, str) and k != "csrftoken"}


def by_field(errors: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        out.setdefault(e.field, e.reason)
    return out


@router.get("/merchant")
def home(request: Request, me: Merchant) -> Response:

    with request.app.state.db.read_session() as s:
        ent = enterprises.get(s, me.enterprise_id)
        declarations = trace.list_declarations(s, ent.id, 50, 0)
        cases = complaints.list_for_merchant(s, id_of(ent), limit=50, offset=0)
        figures = complaints.merchant_figures(s, id_of(ent))
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
