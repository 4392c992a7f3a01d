"""The merchant's quality insurance (/merchant/insurance): the policies and offers, quotes, and
binding, renewing or cancelling a policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Id
from api.pages import web
from api.pages.merchant import Merchant, china_today, invalid
from credit import service as credit
from enterprises import service as enterprises
from insurance import service as insurance_
from insurance.schemas import CancelIn, QuoteRequest

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


@router.get("/merchant/insurance")
def insurance(request: Request, me: Merchant) -> Response:

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
            "today": china_today(),
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

    try:
        data = QuoteRequest.model_validate(
            {"product_id": product_id, "period_days": period_days or 365, "starts_on": starts_on or None}
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    days = request.app.state.settings.insurance_quote_valid_days
    with request.app.state.db.transaction() as s:
        policy = insurance_.quote(s, me.enterprise_id, data, me, valid_days=days)
    return RedirectResponse(f"/merchant/insurance/policies/{policy.id}?quoted=1", status_code=303)


def _policy(request: Request, me: web.EnterpriseUser, policy_id: int):  # noqa: ANN202
    with request.app.state.db.read_session() as s:
        policy = insurance_.get_policy(s, policy_id)
        me.ensure_may_act_for(policy.enterprise_id)
        product = insurance_.get_product(s, policy.product_id)
        insurer = enterprises.public_profile(s, policy.insurer_id) or {}
    return policy, product, insurer


@router.get("/merchant/insurance/policies/{policy_id}")
def policy(request: Request, policy_id: Id, me: Merchant) -> Response:

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

    p, _, _ = _policy(request, me, policy_id)
    with request.app.state.db.transaction() as s:
        insurance_.bind(s, p.id, me)
    return RedirectResponse(f"/merchant/insurance/policies/{p.id}?bound=1", status_code=303)


@router.post("/merchant/insurance/policies/{policy_id}/renew")
def renew(request: Request, policy_id: Id, me: Merchant) -> Response:
    """Quote the next period (insurance.service.renew, as the API's renewal): the renewal's own page."""
    p, _, _ = _policy(request, me, policy_id)
    days = request.app.state.settings.insurance_quote_valid_days
    with request.app.state.db.transaction() as s:
        renewal = insurance_.renew(s, p.id, me, valid_days=days)
    return RedirectResponse(f"/merchant/insurance/policies/{renewal.id}?renewed=1", status_code=303)


@router.post("/merchant/insurance/policies/{policy_id}/cancel")
def cancel(
    request: Request, policy_id: Id, me: Merchant, reason: Annotated[str, Form(max_length=300)] = ""
) -> Response:

    p, _, _ = _policy(request, me, policy_id)
    try:
        data = CancelIn.model_validate({"reason": reason})
    except ValidationError as exc:
        raise invalid(exc) from None
    with request.app.state.db.transaction() as s:
        insurance_.cancel(s, p.id, me, data.reason)
    return RedirectResponse(f"/merchant/insurance/policies/{p.id}?cancelled=1", status_code=303)
