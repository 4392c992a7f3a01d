"""The insurer's desk (/insurer, signed in with an insurer's key): its products and their prices by
grade, its book of policies by grade and status, loss ratio and exposure by grade and product (charts
and the same figures as tables), and the claims queue with its decisions and payouts. Only the insurer's
own: the book's reads take its enterprise id, and each claim goes through `claims.get_claim(…, by)`,
which refuses another insurer's claim, as the API does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.deps import Id
from api.pages import charts, web
from api.pages.complaint_desk import validated
from core.errors import Invalid

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Insurer = Annotated[web.EnterpriseUser, Depends(web.insurer_user)]
OPEN_CLAIMS = ("submitted", "under_review")


def _percent(ratio: float | None) -> float:
    return round((ratio or 0) * 100, 1)


@router.get("/insurer")
def desk(request: Request, me: Insurer) -> Response:
    from enterprises import service as enterprises
    from insurance import book, claims
    from insurance import service as insurance

    insurer_id = me.enterprise_id
    with request.app.state.db.read_session() as s:
        me_profile = enterprises.public_profile(s, insurer_id)
        offered = book.products(s, insurer_id)
        names = {p.id: p for p in insurance.list_products(s, insurer_id, current_only=False)}
        portfolio = book.portfolio(s, insurer_id)
        ratios = claims.loss_ratios(s, insurer_id)
        exposure = book.exposure(s, insurer_id)
        waiting = [c for st in OPEN_CLAIMS for c in claims.list_claims(s, insurer_id=insurer_id, status=st)]
        to_pay = claims.list_claims(s, insurer_id=insurer_id, status="approved")

    def product_label(product_id: int) -> str:
        p = names.get(product_id)
        return f"{p.name_zh} v{p.version}" if p else str(product_id)

    grade_points = [(f"{r['grade']}", _percent(r["loss_ratio"])) for r in ratios["by_grade"]]
    product_points = [(product_label(r["product"]), _percent(r["loss_ratio"])) for r in ratios["by_product"]]
    # In ten-thousands of yuan (万元), as insurers quote exposure: the axis labels stay short.
    exposure_points = [(r["grade"], round(r["open_minor"] / 1_000_000, 1)) for r in exposure["by_grade"]]
    exposure_product_points = [
        (product_label(r["product"]), round(r["open_minor"] / 1_000_000, 1)) for r in exposure["by_product"]
    ]
    return web.render(
        request,
        "insurer_desk.html",
        {
            "insurer": me_profile,
            "offered": offered,
            "portfolio": portfolio,
            "ratios": ratios,
            "exposure": exposure,
            "product_label": product_label,
            "waiting": len(waiting),
            "to_pay": len(to_pay),
            "grade_chart": charts.bars(grade_points, "按信用等级的赔付率（%）Loss ratio by grade (%)")
            if grade_points
            else None,
            "product_chart": charts.bars(product_points, "按产品的赔付率（%）Loss ratio by product (%)")
            if product_points
            else None,
            "exposure_product_chart": charts.bars(
                exposure_product_points, "按产品的未了责任（万元）Open cover by product (10,000 yuan)"
            )
            if exposure_product_points
            else None,
            "exposure_chart": charts.bars(
                exposure_points, "按信用等级的未了责任（万元）Open cover by grade (10,000 yuan)"
            )
            if exposure_points
            else None,
        },
    )


@router.get("/insurer/claims")
def claims_queue(request: Request, me: Insurer) -> Response:
    """Claims to decide (submitted, under review), to pay (approved), the payouts and the refusals."""
    from enterprises import service as enterprises
    from insurance import claims

    insurer_id = me.enterprise_id
    with request.app.state.db.read_session() as s:
        rows = claims.list_claims(s, insurer_id=insurer_id, limit=1000, newest_first=True)
        merchants = enterprises.public_profiles(s, {c.enterprise_id for c in rows})
    return web.render(
        request,
        "insurer_claims.html",
        {
            "waiting": [c for c in reversed(rows) if c.status in OPEN_CLAIMS],
            "approved": [c for c in reversed(rows) if c.status == "approved"],
            "paid": [c for c in rows if c.status == "paid"],
            "rejected": [c for c in rows if c.status == "rejected"],
            "merchants": merchants,
            "paid_total": sum(c.paid_minor or 0 for c in rows if c.status == "paid"),
            "recovered_total": sum(c.recovered_minor for c in rows if c.status == "paid"),
        },
    )


@router.get("/insurer/claims/{claim_id}")
def claim(request: Request, claim_id: Id, me: Insurer) -> Response:
    from enterprises import service as enterprises
    from insurance import claims
    from insurance import service as insurance
    from insurance.schemas import RejectReason

    with request.app.state.db.read_session() as s:
        c = claims.get_claim(s, claim_id, me)  # another insurer's claim: 403, nothing shown
        policy = insurance.get_policy(s, c.policy_id, me)
        merchant = enterprises.public_profile(s, c.enterprise_id)
        assessed = claims.assessed_amount(c, policy)
    return web.render(
        request,
        "insurer_claim.html",
        {
            "c": c,
            "policy": policy,
            "merchant": merchant,
            "assessed": assessed,
            "reasons": [r.value for r in RejectReason],
            "is_open": c.status in OPEN_CLAIMS,
            "done": str(request.query_params.get("done", ""))[:20],
        },
    )


def _in_transaction(db: Any, operation: Any, *args: Any) -> Any:  # noqa: ANN401
    with db.transaction() as s:
        return operation(s, *args)


@router.post("/insurer/claims/{claim_id}/decision")
async def decide(request: Request, claim_id: Id, me: Insurer) -> Response:
    """Approve (the assessed amount, or one typed in yuan) or refuse with a reason from the glossary's
    claim_reject_reason, through `claims.decide`."""
    from insurance import claims
    from insurance.schemas import ClaimDecision

    form = await request.form()
    choice = str(form.get("approve", ""))
    if choice not in ("true", "false"):
        raise Invalid.field("approve", "choose approve (true) or refuse (false)")
    raw: dict[str, Any] = {"approve": choice == "true", "reason": str(form.get("reason", "")).strip()}
    amount = str(form.get("amount", "")).strip()
    if choice == "true" and amount:
        raw["amount_minor"] = web.yuan(amount, "amount", above_zero=True)
    code = str(form.get("reason_code", "")).strip()
    if choice == "false" and code:
        raw["reason_code"] = code  # none: ClaimDecision's own refusal, as the API gives it
    data = validated(ClaimDecision, raw)
    await run_in_threadpool(_in_transaction, request.app.state.db, claims.decide, claim_id, data, me)
    return RedirectResponse(f"/insurer/claims/{claim_id}?done=decision", status_code=303)


@router.post("/insurer/claims/{claim_id}/payment")
async def pay(request: Request, claim_id: Id, me: Insurer) -> Response:
    from insurance import claims

    await run_in_threadpool(_in_transaction, request.app.state.db, claims.pay, claim_id, me)
    return RedirectResponse(f"/insurer/claims/{claim_id}?done=payment", status_code=303)


@router.post("/insurer/claims/{claim_id}/recovery")
async def recover(request: Request, claim_id: Id, me: Insurer) -> Response:
    """Money recovered from the merchant (追偿), typed in yuan, through `claims.record_recovery` (which
    holds it to what the merchant owes); it lowers the net paid, so the loss ratio."""
    from insurance import claims
    from insurance.schemas import RecoveryIn

    form = await request.form()
    data = validated(
        RecoveryIn, {"amount_minor": web.yuan(str(form.get("amount", "")), "amount", above_zero=True)}
    )
    await run_in_threadpool(
        _in_transaction, request.app.state.db, claims.record_recovery, claim_id, data.amount_minor, me
    )
    return RedirectResponse(f"/insurer/claims/{claim_id}?done=recovery", status_code=303)
