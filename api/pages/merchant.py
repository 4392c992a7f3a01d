"""The merchant pages (/merchant): its declarations (declared from the page) and their status, its
products and GTIN grants, code issuance with a progress bar, the batch's downloads, the complaints to
answer with their deadlines in working days, its quality-insurance policies and quotes, and its own
credit report with what would raise its grade (repair and objections).

A merchant's session is bound to its key's enterprise: every record is loaded by id and then checked
with `Principal.ensure_may_act_for`, the same rule the API uses, so another merchant's record is a 403
page. The pages call the domains' services (as the API's routes do), never the routes themselves; a
form's bad field is shown next to it with the reason the API's problem document would give."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api import downloads
from api.deps import Id, LineNo
from api.pages import glossary, web
from api.problems import _field_path, _reason
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import Conflict, FieldError, Invalid, NotFound
from core.workdays import CHINA_TZ
from traceability.models import ProductCategory
from traceability.schemas import (
    PORT_NAMES,
    DeclarationCreate,
    GrantCreate,
    IssueCodes,
    ProductCreate,
)

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Merchant = Annotated[web.EnterpriseUser, Depends(web.merchant_user)]


def _china_today() -> str:
    """Today's date where the merchant works (China time): a form's default date, which the services
    read as a Beijing date (from 16:00 UTC, UTC's date is already yesterday there)."""
    return utcnow().astimezone(CHINA_TZ).date().isoformat()


def _errors(exc: ValidationError) -> list[FieldError]:
    """A form's validation errors as the API's problem document names them (`lines.0.lot`, with the
    same reason), so the page can show each next to its field."""
    return [
        FieldError(
            _field_path(e.get("loc", ())) or "form",
            glossary.reason(_reason(e), e.get("type", ""), e.get("ctx")),
        )
        for e in exc.errors()
    ]


def _invalid(exc: ValidationError) -> Invalid:
    errors = _errors(exc)
    return Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)


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


# Before /merchant/declarations/{declaration_id}, which would take "new" for an id.
@router.get("/merchant/declarations/new")
def declaration_form(request: Request, me: Merchant) -> Response:
    return _declaration_form(request, me, {"declared_on": _china_today()}, [])


def _declaration(request: Request, me: web.EnterpriseUser, declaration_id: int):  # noqa: ANN202
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        decl = trace.get_declaration(s, declaration_id)
        me.ensure_may_act_for(decl.enterprise_id)
        return decl, trace.lines_of(s, id_of(decl))


@router.get("/merchant/declarations/{declaration_id}")
def declaration(request: Request, declaration_id: Id, me: Merchant) -> Response:
    decl, lines = _declaration(request, me, declaration_id)
    return web.render(request, "merchant_declaration.html", {"decl": decl, "lines": lines})


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
    from api.background import start_code_batch

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
    decl, _ = _declaration(request, me, declaration_id)
    me.ensure_may_write()
    try:
        data = IssueCodes.model_validate(
            {"quantity": int(quantity) if quantity.strip().isdigit() else quantity, "signed": signed == "1"}
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    batch = _issue(request, me, decl.enterprise_id, decl.id, line_no, data.quantity, data.signed)
    return RedirectResponse(f"/merchant/batches/{batch.id}", status_code=303)


def _batch(request: Request, me: web.EnterpriseUser, batch_id: int):  # noqa: ANN202
    from traceability import service as trace

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
    from traceability import exports

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


def _case(request: Request, me: web.EnterpriseUser, complaint_id: int):  # noqa: ANN202
    from complaints import service as complaints

    with request.app.state.db.read_session() as s:
        c = complaints.get(s, complaint_id)
        me.ensure_may_act_for(c.enterprise_id)
        return c, complaints.messages(s, id_of(c))


@router.get("/merchant/complaints/{complaint_id}")
def complaint(request: Request, complaint_id: Id, me: Merchant) -> Response:
    from typing import get_args

    from complaints import service as complaints
    from complaints.models import MerchantOutcome
    from complaints.schemas import RejectionReason

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
    from complaints import service as complaints

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
    from complaints import service as complaints
    from complaints.schemas import AnswerIn

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
        raise _invalid(exc) from None
    with request.app.state.db.transaction() as s:
        complaints.answer(s, request.app.state.complaint_kit, c.enterprise_id, c.id, data, me)
    return RedirectResponse(f"/merchant/complaints/{c.id}?answered=1", status_code=303)


# --- shipping out of the bonded warehouse (出区) -----------------------------------------------------


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
    from traceability import shipping

    values = await _form(request)
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


# --- forms ------------------------------------------------------------------------------------------

LINE_ROWS = 3  # line rows on the declaration form (no script adds rows; declare more in several forms)


async def _form(request: Request) -> dict[str, str]:
    """The posted form's text fields, each cut at 4,000 characters (the schemas bound them tighter)."""
    form = await request.form()
    return {k: v.strip()[:4000] for k, v in form.items() if isinstance(v, str) and k != "csrftoken"}


def _by_field(errors: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        out.setdefault(e.field, e.reason)
    return out


# --- declarations -----------------------------------------------------------------------------------


def _products(request: Request, enterprise_id: int) -> list:
    from traceability import service as trace

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
            "errors": _by_field(errors),
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
    values = _row_values(await _form(request))
    body, problems = _declaration_body(values)
    try:
        data = DeclarationCreate.model_validate(body)
    except ValidationError as exc:
        return _declaration_form(request, me, values, problems + _errors(exc), 422)
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
    from traceability import service as trace

    with request.app.state.db.transaction() as s:
        decl, _ = trace.declare(s, me.enterprise_id, data, me, key or None)
        return decl


# --- products and GTIN grants -----------------------------------------------------------------------

PRODUCT_FIELDS = (
    "gtin",
    "hs_code",
    "name_zh",
    "name_en",
    "brand",
    "manufacturer",
    "origin_country",
    "category",
    "shelf_life_days",
)


def _products_page(
    request: Request,
    me: web.EnterpriseUser,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
    grant_values: dict[str, str] | None = None,
    grant_errors: list[FieldError] | None = None,
) -> Response:
    from enterprises import service as enterprises
    from traceability import ownership
    from traceability import service as trace

    with request.app.state.db.read_session() as s:
        products = trace.list_products(s, me.enterprise_id)
        grants = ownership.grants_of(s, me.enterprise_id)
        names = enterprises.public_profiles(
            s, {g.grantee_enterprise_id for g in grants} | {g.owner_enterprise_id for g in grants}
        )
    return web.render(
        request,
        "merchant_products.html",
        {
            "products": products,
            "grants": grants,
            "names": names,
            "categories": list(ProductCategory),
            "values": values or {},
            "errors": _by_field(errors or []),
            "error_list": errors or [],
            "grant_values": grant_values or {},
            "grant_errors": _by_field(grant_errors or []),
        },
        status,
    )


@router.get("/merchant/products")
def products(request: Request, me: Merchant) -> Response:
    return _products_page(request, me)


@router.post("/merchant/products")
async def register_product(request: Request, me: Merchant) -> Response:
    from traceability import service as trace

    values = await _form(request)
    raw: dict[str, Any] = {k: values.get(k, "") for k in PRODUCT_FIELDS}
    raw["shelf_life_days"] = raw["shelf_life_days"] or None
    raw["origin_country"] = raw["origin_country"].upper()
    try:
        data = ProductCreate.model_validate(raw)
    except ValidationError as exc:
        return _products_page(request, me, values, _errors(exc), 422)

    def create():  # noqa: ANN202
        with request.app.state.db.transaction() as s:
            return trace.create_product(s, me.enterprise_id, data, me)

    try:
        product = await run_in_threadpool(create)
    except (Invalid, Conflict) as exc:
        return _products_page(request, me, values, exc.errors or [FieldError("gtin", exc.detail)], exc.status)
    return RedirectResponse(f"/merchant/products?added={product.id}", status_code=303)


@router.post("/merchant/gtin-grants")
def grant(
    request: Request,
    me: Merchant,
    gtin: Annotated[str, Form(max_length=20)] = "",
    grantee_uscc: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    from enterprises import service as enterprises
    from traceability import ownership

    values = {"gtin": gtin, "grantee_uscc": grantee_uscc.strip().upper()}
    try:
        with request.app.state.db.transaction() as s:
            grantee = enterprises.get_by_uscc(s, values["grantee_uscc"], field="grantee_uscc")
            data = GrantCreate.model_validate({"gtin": gtin, "grantee_enterprise_id": grantee.id})
            ownership.grant(s, me.enterprise_id, data.gtin, data.grantee_enterprise_id, me)
    except ValidationError as exc:
        return _products_page(request, me, status=422, grant_values=values, grant_errors=_errors(exc))
    except (Invalid, Conflict, NotFound) as exc:
        field = "grantee_uscc" if isinstance(exc, NotFound) else "gtin"
        errors = exc.errors or [FieldError(field, exc.detail)]
        return _products_page(request, me, status=exc.status, grant_values=values, grant_errors=errors)
    return RedirectResponse("/merchant/products?granted=1", status_code=303)


@router.post("/merchant/gtin-grants/{grant_id}/revoke")
def revoke_grant(request: Request, grant_id: Id, me: Merchant) -> Response:
    from traceability import ownership
    from traceability.models import GtinGrant

    with request.app.state.db.transaction() as s:
        row = s.get(GtinGrant, grant_id)
        if row is None:
            raise NotFound(f"no grant {grant_id}")
        me.ensure_may_act_for(row.owner_enterprise_id)  # another's grant (or one given to us): 403
        ownership.revoke_grant(s, row.owner_enterprise_id, grant_id, me)
    return RedirectResponse("/merchant/products?revoked=1", status_code=303)


# --- quality insurance: policies, quotes, binding ---------------------------------------------------


@router.get("/merchant/insurance")
def insurance(request: Request, me: Merchant) -> Response:
    from credit import service as credit
    from enterprises import service as enterprises
    from insurance import service as insurance_

    with request.app.state.db.read_session() as s:
        policies = insurance_.list_policies(s, enterprise_id=me.enterprise_id)
        offers = insurance_.list_products(s)
        insurers = enterprises.public_profiles(
            s, {p.insurer_id for p in offers} | {p.insurer_id for p in policies}
        )
        grade = credit.grade_code(s, me.enterprise_id)
    return web.render(
        request,
        "merchant_insurance.html",
        {
            "policies": policies,
            "offers": offers,
            "insurers": insurers,
            "grade": grade,
            "today": _china_today(),
        },
    )


@router.post("/merchant/insurance/quotes")
def quote(
    request: Request,
    me: Merchant,
    product_id: Annotated[str, Form(max_length=12)] = "",
    period_days: Annotated[str, Form(max_length=4)] = "365",
    starts_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    from insurance import service as insurance_
    from insurance.schemas import QuoteRequest

    try:
        data = QuoteRequest.model_validate(
            {"product_id": product_id, "period_days": period_days or 365, "starts_on": starts_on or None}
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    days = request.app.state.settings.insurance_quote_valid_days
    with request.app.state.db.transaction() as s:
        policy = insurance_.quote(s, me.enterprise_id, data, me, valid_days=days)
    return RedirectResponse(f"/merchant/insurance/policies/{policy.id}?quoted=1", status_code=303)


def _policy(request: Request, me: web.EnterpriseUser, policy_id: int):  # noqa: ANN202
    from enterprises import service as enterprises
    from insurance import service as insurance_

    with request.app.state.db.read_session() as s:
        policy = insurance_.get_policy(s, policy_id)
        me.ensure_may_act_for(policy.enterprise_id)
        product = insurance_.get_product(s, policy.product_id)
        insurer = enterprises.public_profile(s, policy.insurer_id) or {}
    return policy, product, insurer


@router.get("/merchant/insurance/policies/{policy_id}")
def policy(request: Request, policy_id: Id, me: Merchant) -> Response:
    from insurance import service as insurance_

    p, product, insurer = _policy(request, me, policy_id)
    refusal = None
    if p.status == "quoted":
        # Why binding would be refused, said on the quote before the merchant tries (the rule is bind's).
        with request.app.state.db.read_session() as s:
            refusal = insurance_.bind_refusal(s, p)
    return web.render(
        request, "merchant_policy.html", {"p": p, "product": product, "insurer": insurer, "refusal": refusal}
    )


@router.post("/merchant/insurance/policies/{policy_id}/bind")
def bind(request: Request, policy_id: Id, me: Merchant) -> Response:
    from insurance import service as insurance_

    p, _, _ = _policy(request, me, policy_id)
    with request.app.state.db.transaction() as s:
        insurance_.bind(s, p.id, me)
    return RedirectResponse(f"/merchant/insurance/policies/{p.id}?bound=1", status_code=303)


@router.post("/merchant/insurance/policies/{policy_id}/renew")
def renew(request: Request, policy_id: Id, me: Merchant) -> Response:
    """Quote the next period (insurance.service.renew, as the API's renewal): the renewal's own page."""
    from insurance import service as insurance_

    p, _, _ = _policy(request, me, policy_id)
    days = request.app.state.settings.insurance_quote_valid_days
    with request.app.state.db.transaction() as s:
        renewal = insurance_.renew(s, p.id, me, valid_days=days)
    return RedirectResponse(f"/merchant/insurance/policies/{renewal.id}?renewed=1", status_code=303)


@router.post("/merchant/insurance/policies/{policy_id}/cancel")
def cancel(
    request: Request, policy_id: Id, me: Merchant, reason: Annotated[str, Form(max_length=300)] = ""
) -> Response:
    from insurance import service as insurance_
    from insurance.schemas import CancelIn

    p, _, _ = _policy(request, me, policy_id)
    try:
        data = CancelIn.model_validate({"reason": reason})
    except ValidationError as exc:
        raise _invalid(exc) from None
    with request.app.state.db.transaction() as s:
        insurance_.cancel(s, p.id, me, data.reason)
    return RedirectResponse(f"/merchant/insurance/policies/{p.id}?cancelled=1", status_code=303)


# --- its own credit report: what would raise the grade, repair and objections -----------------------


@router.get("/merchant/credit")
def credit_page(request: Request, me: Merchant) -> Response:
    from credit import service as credit
    from enterprises import service as enterprises

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
    from credit import service as credit

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
    from credit import service as credit
    from credit.schemas import RepairCreate

    enterprise_id = _record(request, me, record_id)
    try:
        data = RepairCreate.model_validate(
            {"evidence": evidence.strip(), "evidence_ref": evidence_ref.strip()}
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
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
    from credit import service as credit
    from credit.schemas import ObjectionCreate

    enterprise_id = _record(request, me, record_id)
    try:
        data = ObjectionCreate.model_validate({"reason": reason.strip(), "evidence": evidence.strip()})
    except ValidationError as exc:
        raise _invalid(exc) from None
    with request.app.state.db.transaction() as s:
        credit.object_to(s, enterprise_id, record_id, data, me)
    return RedirectResponse("/merchant/credit?objection=1#applications", status_code=303)
