"""The merchant's declarations (/merchant/declarations): declared from a form of line rows, the API's
DeclarationCreate and its service's checks, each bad field shown beside it; a declaration's page."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Id
from api.pages import web
from api.pages.merchant import Merchant, by_field, china_today, form_errors, read_form
from core.db import id_of
from core.errors import Conflict, FieldError, Invalid
from traceability import service as trace
from traceability.schemas import PORT_NAMES, DeclarationCreate

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


# Before /merchant/declarations/{declaration_id}, which would take "new" for an id.
@router.get("/merchant/declarations/new")
def declaration_form(request: Request, me: Merchant) -> Response:
    return _declaration_form(request, me, {"declared_on": china_today()}, [])


def owned_declaration(request: Request, me: web.EnterpriseUser, declaration_id: int):  # noqa: ANN202
    with request.app.state.db.read_session() as s:
        decl = trace.get_declaration(s, declaration_id)
        me.ensure_may_act_for(decl.enterprise_id)
        return decl, trace.lines_of(s, id_of(decl))


@router.get("/merchant/declarations/{declaration_id}")
def declaration(request: Request, declaration_id: Id, me: Merchant) -> Response:
    decl, lines = owned_declaration(request, me, declaration_id)
    return web.render(request, "merchant_declaration.html", {"decl": decl, "lines": lines})


LINE_ROWS = 3  # line rows on the declaration form (no script adds rows; declare more in several forms)


def _products(request: Request, enterprise_id: int) -> list:

    with request.app.state.db.read_session() as s:
        return trace.list_products(s, enterprise_id)


def _declaration_form(
    request: Request,
    me: web.EnterpriseUser,
    values: dict[str, str],
    errors: list[FieldError],
    status: int = 200,
) -> Response:
    return web.render(
        request,
        "merchant_declaration_new.html",
        {
            "products": _products(request, me.enterprise_id),
            "values": values,
            "errors": by_field(errors),
            "error_list": errors,
            "rows": range(LINE_ROWS),
            "ports": PORT_NAMES,
            # One key per form shown: a second click on "declare" replays the first, not a duplicate.
            "idem": values.get("idempotency_key") or secrets.token_urlsafe(18),
        },
        status,
    )


def _declaration_body(values: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """The API's DeclarationCreate from the form: the header fields, and each line row with anything
    filled in (an empty row is left out; a row half filled is validated, and its field named)."""
    body: dict[str, Any] = {
        k: values.get(k, "")
        for k in (
            "declaration_no",
            "transport_doc_type",
            "transport_doc_no",
            "arrival_port",
            "bonded_warehouse",
            "declared_on",
        )
    }
    lines: list[dict[str, Any]] = []
    problems: list[FieldError] = []
    for i in range(LINE_ROWS):
        row = {k: values.get(f"lines.{i}.{k}", "") for k in LINE_FIELDS}
        if not any(row[k] for k in FILLED_FIELDS):
            continue
        n = len(lines)
        line: dict[str, Any] = {
            "product_id": row["product_id"],
            "lot": row["lot"],
            "quantity": row["quantity"],
            "production_date": row["production_date"] or None,
            "expiry_date": row["expiry_date"] or None,
        }
        try:
            minor = web.yuan(row["unit_value"], f"lines.{n}.unit_value")
        except Invalid as exc:
            problems.extend(exc.errors)
            minor = 0
        line["unit_value"] = {"amount_minor": minor, "currency": row["currency"] or "CNY"}
        lines.append(line)
    body["lines"] = lines
    return body, problems


LINE_FIELDS = ("product_id", "lot", "quantity", "production_date", "expiry_date", "unit_value", "currency")


FILLED_FIELDS = LINE_FIELDS[:-1]  # the currency is a hidden field: a row with only it is empty


def _row_values(values: dict[str, str]) -> dict[str, str]:
    """The form's values renumbered as the API numbers the lines (empty rows dropped), so an error on
    `lines.1.lot` is shown beside the second filled row."""
    out = {k: v for k, v in values.items() if not k.startswith("lines.")}
    n = 0
    for i in range(LINE_ROWS):
        row = {k: values.get(f"lines.{i}.{k}", "") for k in LINE_FIELDS}
        if any(row[k] for k in FILLED_FIELDS):
            out.update({f"lines.{n}.{k}": v for k, v in row.items()})
            n += 1
    return out


@router.post("/merchant/declarations")
async def declare(request: Request, me: Merchant) -> Response:
    values = _row_values(await read_form(request))
    body, problems = _declaration_body(values)
    try:
        data = DeclarationCreate.model_validate(body)
    except ValidationError as exc:
        return _declaration_form(request, me, values, problems + form_errors(exc), 422)
    if problems:
        return _declaration_form(request, me, values, problems, 422)
    try:
        decl = await run_in_threadpool(_declare, request, me, data, values.get("idempotency_key", "")[:200])
    except (Invalid, Conflict) as exc:
        # The service's own checks (goods expiring before the declaration, a number already declared,
        # a lot another enterprise declared): named fields too, shown beside them.
        errors = exc.errors or [FieldError("form", exc.detail)]
        return _declaration_form(request, me, values, errors, exc.status)
    return RedirectResponse(f"/merchant/declarations/{decl.id}?declared=1", status_code=303)


def _declare(request: Request, me: web.EnterpriseUser, data: DeclarationCreate, key: str):  # noqa: ANN202
    """traceability.service.declare, as the API calls it: a product id not the merchant's own is its
    422 naming the line's product_id, shown beside the field (not a check of the page's own)."""
    with request.app.state.db.transaction() as s:
        decl, _ = trace.declare(s, me.enterprise_id, data, me, key or None)
        return decl
