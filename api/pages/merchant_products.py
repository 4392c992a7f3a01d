"""The merchant's products and GTIN grants (/merchant/products): registering a product, granting
another enterprise the use of a GTIN, and revoking a grant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Id
from api.pages import web
from api.pages.merchant import Merchant, by_field, form_errors, read_form
from core.errors import Conflict, FieldError, Invalid, NotFound
from enterprises import service as enterprises
from traceability import ownership
from traceability import service as trace
from traceability.models import GtinGrant, ProductCategory
from traceability.schemas import GrantCreate, ProductCreate

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


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
            "errors": by_field(errors or []),
            "error_list": errors or [],
            "grant_values": grant_values or {},
            "grant_errors": by_field(grant_errors or []),
        },
        status,
    )


@router.get("/merchant/products")
def products(request: Request, me: Merchant) -> Response:
    return _products_page(request, me)


@router.post("/merchant/products")
async def register_product(request: Request, me: Merchant) -> Response:

    values = await read_form(request)
    raw: dict[str, Any] = {k: values.get(k, "") for k in PRODUCT_FIELDS}
    raw["shelf_life_days"] = raw["shelf_life_days"] or None
    raw["origin_country"] = raw["origin_country"].upper()
    try:
        data = ProductCreate.model_validate(raw)
    except ValidationError as exc:
        return _products_page(request, me, values, form_errors(exc), 422)

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

    values = {"gtin": gtin, "grantee_uscc": grantee_uscc.strip().upper()}
    try:
        with request.app.state.db.transaction() as s:
            grantee = enterprises.get_by_uscc(s, values["grantee_uscc"], field="grantee_uscc")
            data = GrantCreate.model_validate({"gtin": gtin, "grantee_enterprise_id": grantee.id})
            ownership.grant(s, me.enterprise_id, data.gtin, data.grantee_enterprise_id, me)
    except ValidationError as exc:
        return _products_page(request, me, status=422, grant_values=values, grant_errors=form_errors(exc))
    except (Invalid, Conflict, NotFound) as exc:
        field = "grantee_uscc" if isinstance(exc, NotFound) else "gtin"
        errors = exc.errors or [FieldError(field, exc.detail)]
        return _products_page(request, me, status=exc.status, grant_values=values, grant_errors=errors)
    return RedirectResponse("/merchant/products?granted=1", status_code=303)


@router.post("/merchant/gtin-grants/{grant_id}/revoke")
def revoke_grant(request: Request, grant_id: Id, me: Merchant) -> Response:

    with request.app.state.db.transaction() as s:
        row = s.get(GtinGrant, grant_id)
        if row is None:
            raise NotFound(f"no grant {grant_id}")
        me.ensure_may_act_for(row.owner_enterprise_id)  # another's grant (or one given to us): 403
        ownership.revoke_grant(s, row.owner_enterprise_id, grant_id, me)
    return RedirectResponse("/merchant/products?revoked=1", status_code=303)
