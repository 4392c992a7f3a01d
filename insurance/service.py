"""Quality insurance operations: insurers' products, quotes and policies, and the cover lookup per trace
code. Claims are in `insurance.claims`. Functions take a session and know no HTTP; writes are audited
and emit events in the same transaction."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from core import audit
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events import emit
from core.money import Money
from core.security import Principal, Role
from core.workdays import CHINA_TZ
from credit import service as credit
from enterprises import service as enterprises
from insurance import pricing
from insurance.events import PolicyChanged
from insurance.models import InsurancePolicy, InsuranceProduct, PolicyStatus
from insurance.schemas import ProductCreate, QuoteRequest
from traceability import service as traceability

# --- products -------------------------------------------------------------------------------------


def create_product(session: Session, insurer_id: int, data: ProductCreate, by: Principal) -> InsuranceProduct:
    """A product, or a new version of the insurer's product with that code: the old version stops being
    offered, and every policy bound on it keeps its terms."""
    by.ensure_may_act_for(insurer_id)
    insurer = enterprises.public_profile(session, insurer_id)
    if insurer is None or insurer["kind"] != "insurer":
        raise Invalid.field("insurer_id", "products are offered by insurers")
    previous = session.exec(
        select(InsuranceProduct)
        .where(InsuranceProduct.insurer_id == insurer_id, InsuranceProduct.code == data.code)
        .order_by(col(InsuranceProduct.version).desc())
        .with_for_update()
    ).first()
    if previous is not None:
        previous.current = False
        session.add(previous)
    product = InsuranceProduct(
        insurer_id=insurer_id,
        code=data.code,
        version=(previous.version + 1) if previous else 1,
        current=True,
        name_zh=data.name_zh,
        name_en=data.name_en,
        currency=data.currency,
        cover_per_unit_minor=data.cover_per_unit_minor,
        aggregate_limit_minor=data.aggregate_limit_minor,
        deductible_minor=data.deductible_minor,
        min_premium_minor=data.min_premium_minor,
        base_rate_per_mille=str(data.base_rate_per_mille),
        multipliers={str(g): str(m) for g, m in data.multipliers.items()},
        d_min_bond_minor=data.d_min_bond_minor,
        waiting_days=data.waiting_days,
        claim_window_days=data.claim_window_days,
        categories=sorted(str(c) for c in data.categories),
        created_at=utcnow(),
    )
    session.add(product)
    session.flush()
    audit.record(
        session,
        by.actor,
        "insurance.product_created",
        "insurance_product",
        product.id,
        data.model_dump(mode="json"),
    )
    return product


def get_product(session: Session, product_id: int) -> InsuranceProduct:
    product = session.get(InsuranceProduct, product_id)
    if product is None:
        raise NotFound(f"no insurance product {product_id}", field="product_id")
    return product


def list_products(
    session: Session, insurer_id: int | None = None, current_only: bool = True
) -> list[InsuranceProduct]:
    q = select(InsuranceProduct).order_by(col(InsuranceProduct.id))
    if insurer_id is not None:
        q = q.where(InsuranceProduct.insurer_id == insurer_id)
    if current_only:
        q = q.where(InsuranceProduct.current == True)  # noqa: E712 - SQL
    return list(session.exec(q))


# --- quotes and policies --------------------------------------------------------------------------


def _start_of(day, now: datetime) -> datetime:
    """Cover starts at midnight Beijing time of the chosen day, never before the moment of quoting."""
    if day is None:
        return now
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).astimezone(now.tzinfo)
    if start < now - timedelta(days=1):
        raise Invalid.field("starts_on", "cover cannot start in the past")
    return max(start, now)


def _grade(session: Session, enterprise_id: int) -> str:
    grade = credit.grade_code(session, enterprise_id)
    if grade is None:
        raise Conflict(
            "the merchant has no credit grade yet, and premiums are rated by grade", field="enterprise_id"
        )
    return grade


def quote(
    session: Session,
    enterprise_id: int,
    data: QuoteRequest,
    by: Principal,
    *,
    valid_days: int = 7,
    renewal_of: InsurancePolicy | None = None,
) -> InsurancePolicy:
    """Rate the merchant at its grade of this moment on its declared value released over the last
    `period_days`, and keep the quote (status quoted) with its arithmetic for binding."""
    by.ensure_may_act_for(enterprise_id)
    merchant = enterprises.public_profile(session, enterprise_id)
    if merchant is None or merchant["kind"] != "merchant":
        raise NotFound(f"no merchant {enterprise_id}", field="enterprise_id")
    product = get_product(session, data.product_id)
    if not product.current and renewal_of is None:
        raise Conflict(
            "this product version is no longer offered; quote its current version", field="product_id"
        )
    now = utcnow()
    starts_at = as_utc(renewal_of.ends_at) if renewal_of is not None else _start_of(data.starts_on, now)
    grade = _grade(session, enterprise_id)
    multiplier = pricing.multiplier_for(product.multipliers, grade, data.bond_minor, product.d_min_bond_minor)
    since = now - timedelta(days=data.period_days)
    value = traceability.released_value(session, enterprise_id, since, now).get(product.currency, 0)
    declared = Money(value, product.currency)
    rated = pricing.premium(
        declared, product.base_rate_per_mille, multiplier, Money(product.min_premium_minor, product.currency)
    )
    arithmetic = rated.arithmetic | {
        "grade": grade,
        "basis": {
            "released_from": since.isoformat(),
            "released_until": now.isoformat(),
            "days": data.period_days,
        },
    }
    waiting = timedelta(0) if renewal_of is not None else timedelta(days=product.waiting_days)
    policy = InsurancePolicy(
        policy_no=f"CTI{now.astimezone(CHINA_TZ):%Y%m%d}{secrets.token_hex(4).upper()}",
        product_id=id_of(product),
        insurer_id=product.insurer_id,
        enterprise_id=enterprise_id,
        renewal_of=renewal_of.id if renewal_of else None,
        status=PolicyStatus.quoted,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=data.period_days),
        cover_from=starts_at + waiting,
        grade=grade,
        currency=product.currency,
        declared_value_minor=value,
        premium_minor=rated.premium.amount_minor,
        arithmetic=arithmetic,
        bond_minor=data.bond_minor,
        cover_per_unit_minor=product.cover_per_unit_minor,
        aggregate_limit_minor=product.aggregate_limit_minor,
        deductible_minor=product.deductible_minor,
        claim_window_days=product.claim_window_days,
        categories=list(product.categories),
        quote_expires_at=now + timedelta(days=valid_days),
        created_at=now,
    )
    session.add(policy)
    session.flush()
    audit.record(session, by.actor, "insurance.quoted", "insurance_policy", policy.id, arithmetic)
    return policy


def get_policy(
    session: Session, policy_id: int, by: Principal | None = None, *, lock: bool = False
) -> InsurancePolicy:
    q = select(InsurancePolicy).where(InsurancePolicy.id == policy_id)
    if lock:
        q = q.with_for_update()
    policy = session.exec(q).first()
    if policy is None:
        raise NotFound(f"no policy {policy_id}", field="policy_id")
    if by is not None:
        may_see(by, policy)
    return policy


def may_see(by: Principal, policy: InsurancePolicy) -> None:
    """A merchant sees its own policies, an insurer the ones it underwrites; admins and regulators all."""
    if by.role == Role.merchant and policy.enterprise_id != by.enterprise_id:
        raise Forbidden("this policy belongs to another merchant")
    if by.role == Role.insurer and policy.insurer_id != by.enterprise_id:
        raise Forbidden("this policy is underwritten by another insurer")


def _payload(session: Session, policy: InsurancePolicy, reason: str = "") -> PolicyChanged:
    product = session.get(InsuranceProduct, policy.product_id)
    return PolicyChanged(
        policy_id=policy.id,
        policy_no=policy.policy_no,
        enterprise_id=policy.enterprise_id,
        insurer_id=policy.insurer_id,
        status=policy.status,
        grade=policy.grade,
        starts_at=as_utc(policy.starts_at),
        ends_at=as_utc(policy.ends_at),
        currency=policy.currency,
        cover_per_unit_minor=policy.cover_per_unit_minor,
        aggregate_limit_minor=policy.aggregate_limit_minor,
        premium_minor=policy.premium_minor,
        product_name_zh=product.name_zh if product else "",
        reason=reason,
    )


def _changed(session: Session, policy: InsurancePolicy, event: str, actor: str, reason: str = "") -> None:
    policy.version += 1
    session.add(policy)
    session.flush()
    payload = _payload(session, policy, reason)
    audit.record(session, actor, event, "insurance_policy", policy.id, payload.model_dump(mode="json"))
    emit(session, event, "insurance_policy", policy.id, payload, actor)


class Refusal(NamedTuple):
    """Why a quote cannot be bound, in Chinese and English, and the field it is about."""

    zh: str
    en: str
    field: str = "policy_id"


def bind_refusal(session: Session, policy: InsurancePolicy, now: datetime | None = None) -> Refusal | None:
    """Why `bind` would refuse this quote now, or None: the one rule, asked by the merchant's page before
    binding (to explain it on the quote) and by `bind` itself."""
    now = now or utcnow()
    if policy.status != PolicyStatus.quoted:
        return Refusal(
            f"{policy.policy_no} 已投保、到期或已退保，不再是可投保的报价。",
            f"policy {policy.policy_no} is {policy.status}, not a quote",
        )
    if as_utc(policy.quote_expires_at) <= now:
        return Refusal("报价已过期，请重新询价。", "the quote has expired; ask for a new one")
    grade = _grade_or_none(session, policy.enterprise_id)
    if grade is None:
        return Refusal(
            "贵司尚无信用等级，保费按等级计算，暂不能投保。",
            "the merchant has no credit grade yet, and premiums are rated by grade",
            "enterprise_id",
        )
    if grade != policy.grade:
        return Refusal(
            f"询价后信用等级由 {policy.grade} 级变为 {grade} 级，请重新询价。",
            f"the merchant's credit grade changed from {policy.grade} to {grade} since the quote; "
            "ask for a new one",
            "grade",
        )
    # The period it would cover: a quote bound days later covers from binding, for its full period.
    starts, ends = as_utc(policy.starts_at), as_utc(policy.ends_at)
    if starts < now:
        starts, ends = now, ends + (now - starts)
    overlap = session.exec(
        select(InsurancePolicy).where(
            InsurancePolicy.enterprise_id == policy.enterprise_id,
            InsurancePolicy.status == PolicyStatus.active,
            InsurancePolicy.starts_at < ends,
            InsurancePolicy.ends_at > starts,
        )
    ).first()
    if overlap is not None:
        until = as_utc(overlap.ends_at).astimezone(CHINA_TZ).date().isoformat()
        return Refusal(
            f"贵司的保单 {overlap.policy_no} 在此期间仍然有效（至 {until}），同一期间不能再投保；"
            "可在其到期后起保，或续保该保单。",
            f"the merchant already has policy {overlap.policy_no} in force over this period",
        )
    return None


def _grade_or_none(session: Session, enterprise_id: int) -> str | None:
    try:
        return _grade(session, enterprise_id)
    except Conflict:
        return None


def bind(session: Session, policy_id: int, by: Principal) -> InsurancePolicy:
    """Bind a quote: it must be the caller's, unexpired, and the merchant's grade must still be the one
    it was rated at. The policy then covers every released unit of the merchant in its period."""
    by.require_role(Role.merchant, Role.admin)
    policy = get_policy(session, policy_id, by)
    # Lock all the merchant's policy rows (its quotes included) in id order, so two quotes bound at once
    # queue here without deadlocking, and the second sees the first in force (PostgreSQL; SQLite's write
    # lock already serialises them).
    session.exec(
        select(InsurancePolicy.id)
        .where(InsurancePolicy.enterprise_id == policy.enterprise_id)
        .order_by(col(InsurancePolicy.id))
        .with_for_update()
    ).all()
    session.refresh(policy)
    now = utcnow()
    refusal = bind_refusal(session, policy, now)
    if refusal is not None:
        raise Conflict(refusal.en, field=refusal.field)
    if as_utc(policy.starts_at) < now:
        # A quote bound days later covers from binding, for the full period it was priced on.
        shift = now - as_utc(policy.starts_at)
        policy.starts_at, policy.ends_at, policy.cover_from = (
            now,
            as_utc(policy.ends_at) + shift,
            as_utc(policy.cover_from) + shift,
        )
    policy.status = PolicyStatus.active
    policy.bound_at = now
    _changed(session, policy, "insurance.policy_activated", by.actor)
    return policy


def renew(session: Session, policy_id: int, by: Principal, *, valid_days: int = 7) -> InsurancePolicy:
    """Quote the next period at the grade of today. A grade that fell to D (without a bond) suspends the
    renewal: the current policy keeps covering to its end, and no new cover starts."""
    policy = get_policy(session, policy_id, by)
    if policy.status not in (PolicyStatus.active, PolicyStatus.expired):
        raise Conflict(
            f"policy {policy.policy_no} is {policy.status}; only a bound policy renews", field="policy_id"
        )
    product = get_product(session, policy.product_id)
    current = session.exec(
        select(InsuranceProduct).where(
            InsuranceProduct.insurer_id == product.insurer_id,
            InsuranceProduct.code == product.code,
            InsuranceProduct.current == True,  # noqa: E712 - SQL
        )
    ).first()
    period = (as_utc(policy.ends_at) - as_utc(policy.starts_at)).days
    request = QuoteRequest(
        product_id=(current or product).id,
        period_days=min(max(period, 30), 366),
        bond_minor=policy.bond_minor,
    )
    try:
        return quote(session, policy.enterprise_id, request, by, valid_days=valid_days, renewal_of=policy)
    except Conflict as refused:
        if refused.extra.get("reason_code") not in ("grade_not_eligible", "bond_required"):
            raise
        suspended = InsurancePolicy(
            policy_no=f"CTI{utcnow().astimezone(CHINA_TZ):%Y%m%d}{secrets.token_hex(4).upper()}",
            product_id=id_of(current or product),
            insurer_id=policy.insurer_id,
            enterprise_id=policy.enterprise_id,
            renewal_of=policy.id,
            status=PolicyStatus.suspended,
            status_reason=refused.detail[:300],
            starts_at=as_utc(policy.ends_at),
            ends_at=as_utc(policy.ends_at) + timedelta(days=period),
            cover_from=as_utc(policy.ends_at),
            grade=credit.grade_code(session, policy.enterprise_id) or "",
            currency=policy.currency,
            declared_value_minor=0,
            premium_minor=0,
            arithmetic={"refused": refused.detail},
            bond_minor=policy.bond_minor,
            cover_per_unit_minor=policy.cover_per_unit_minor,
            aggregate_limit_minor=policy.aggregate_limit_minor,
            deductible_minor=policy.deductible_minor,
            claim_window_days=policy.claim_window_days,
            categories=list(policy.categories),
            quote_expires_at=utcnow(),
            created_at=utcnow(),
        )
        session.add(suspended)
        session.flush()
        _changed(session, suspended, "insurance.policy_suspended", by.actor, refused.detail)
        return suspended


def cancel(session: Session, policy_id: int, by: Principal, reason: str) -> InsurancePolicy:
    policy = get_policy(session, policy_id, by, lock=True)
    if policy.status == PolicyStatus.cancelled:
        return policy
    if policy.status not in (PolicyStatus.quoted, PolicyStatus.active):
        raise Conflict(
            f"policy {policy.policy_no} is {policy.status} and cannot be cancelled", field="policy_id"
        )
    was_active = policy.status == PolicyStatus.active
    policy.status, policy.status_reason = PolicyStatus.cancelled, reason[:300]
    if was_active:
        policy.ended_at = utcnow()
        _changed(session, policy, "insurance.policy_cancelled", by.actor, reason)
    else:
        session.add(policy)
    return policy


def expire_due(session: Session, now: datetime | None = None, actor: str = "system:insurance") -> int:
    """Mark active policies whose period has ended as expired; each one without an active successor
    in force now lapses (its public service record is withdrawn)."""
    now = now or utcnow()
    due = list(
        session.exec(
            select(InsurancePolicy)
            .where(InsurancePolicy.status == PolicyStatus.active, InsurancePolicy.ends_at <= now)
            .with_for_update()
        )
    )
    for policy in due:
        policy.status, policy.ended_at = PolicyStatus.expired, policy.ends_at
        session.add(policy)
        session.flush()
        if in_force(session, policy.enterprise_id, now) is None:
            _changed(session, policy, "insurance.policy_lapsed", actor)
    return len(due)


def list_policies(
    session: Session, *, enterprise_id: int | None = None, insurer_id: int | None = None, limit: int = 200
) -> list[InsurancePolicy]:
    q = select(InsurancePolicy).order_by(col(InsurancePolicy.id).desc()).limit(limit)
    if enterprise_id is not None:
        q = q.where(InsurancePolicy.enterprise_id == enterprise_id)
    if insurer_id is not None:
        q = q.where(InsurancePolicy.insurer_id == insurer_id)
    return list(session.exec(q))


# --- cover ----------------------------------------------------------------------------------------


def in_force(session: Session, enterprise_id: int, at: datetime) -> InsurancePolicy | None:
    """The merchant's policy in force at `at` (bound, its period running)."""
    return session.exec(
        select(InsurancePolicy)
        .where(
            InsurancePolicy.enterprise_id == enterprise_id,
            InsurancePolicy.status.in_([PolicyStatus.active, PolicyStatus.expired]),  # type: ignore[attr-defined]
            InsurancePolicy.starts_at <= at,
            InsurancePolicy.ends_at > at,
            InsurancePolicy.bound_at.is_not(None),  # type: ignore[union-attr]
        )
        .order_by(col(InsurancePolicy.starts_at).desc())
    ).first()


def _insurer_name(session: Session, insurer_id: int) -> tuple[str, str]:
    p = enterprises.public_profile(session, insurer_id) or {}
    return p.get("name_zh", ""), p.get("name_en", "") or p.get("name_zh", "")


def enterprise_cover(
    session: Session, enterprise_id: int, at: datetime | None = None
) -> dict[str, Any] | None:
    """The merchant's cover as the scan page and the service disclosure show it; None: not insured."""
    at = at or utcnow()
    policy = in_force(session, enterprise_id, at)
    if policy is None:
        return None
    name_zh, name_en = _insurer_name(session, policy.insurer_id)
    cover = Money(policy.cover_per_unit_minor, policy.currency)
    until = as_utc(policy.ends_at)
    day = until.astimezone(CHINA_TZ).date().isoformat()
    return {
        "insured": True,
        "policy_no": policy.policy_no,
        "insurer": {"id": policy.insurer_id, "name_zh": name_zh, "name_en": name_en},
        "cover_per_unit": cover.as_dict(),
        "until": until.isoformat(),
        "cover_from": as_utc(policy.cover_from).isoformat(),
        # Still in the policy's waiting period at `at` (the scan page says from when cover starts).
        "waiting": as_utc(policy.cover_from) > at,
        "claim_window_days": policy.claim_window_days,
        "categories": list(policy.categories),
        "summary": f"由 {name_zh} 承保品质险，每件最高赔付 {cover.format('zh_CN')}，保障至 {day}"
        f" · Insured by {name_en}, up to {cover.format('en_US')} per item, until {day}",
    }


def cover_for(
    session: Session,
    serial: str,
    at: datetime | None = None,
    *,
    unit: dict[str, Any] | None = None,
    names: bool = True,
) -> dict[str, Any]:
    """Is this unit covered, by which policy, up to how much, until when; and if not, why not (a reason
    code from `schemas.RejectReason`). Used by the public lookup and by claims (which pass the unit they
    already read)."""
    at = at or utcnow()
    unit = unit or traceability.unit_of(session, serial)
    if unit is None:
        return {
            "serial": serial,
            "covered": False,
            "reason_code": "counterfeit",
            "reason": "no genuine unit has this code",
        }
    base = {
        "serial": serial,
        "enterprise_id": unit["enterprise_id"],
        "product_category": unit["product_category"],
    }
    if unit["status"] != "active":
        return base | {"covered": False, "reason_code": "revoked", "reason": "this code has been revoked"}
    if unit["released_at"] is None:
        return base | {
            "covered": False,
            "reason_code": "not_covered",
            "reason": "the unit was never released for sale",
        }
    policy = in_force(session, unit["enterprise_id"], at)
    if policy is None:
        return base | {
            "covered": False,
            "reason_code": "not_covered",
            "reason": "the merchant has no policy in force",
        }
    if at < as_utc(policy.cover_from):
        return base | {
            "covered": False,
            "reason_code": "not_covered",
            "reason": f"the policy's waiting period runs until {as_utc(policy.cover_from).isoformat()}",
            "policy_id": policy.id,
        }
    if unit["product_category"] not in policy.categories:
        return base | {
            "covered": False,
            "reason_code": "not_covered",
            "reason": f"the policy does not cover the category {unit['product_category']}",
            "policy_id": policy.id,
        }
    start = as_utc(unit["sold_at"] or unit["released_at"])
    window_end = start + timedelta(days=policy.claim_window_days)
    until = min(window_end, as_utc(policy.ends_at)) if unit["sold_at"] else as_utc(policy.ends_at)
    if unit["sold_at"] and at > window_end:
        return base | {
            "covered": False,
            "reason_code": "outside_window",
            "reason": f"claims close {policy.claim_window_days} days after sale ({window_end.isoformat()})",
            "policy_id": policy.id,
        }
    name_zh, name_en = _insurer_name(session, policy.insurer_id) if names else ("", "")
    return base | {
        "covered": True,
        "policy_id": policy.id,
        "policy_no": policy.policy_no,
        "insurer": {"id": policy.insurer_id, "name_zh": name_zh, "name_en": name_en},
        "cover_per_unit": Money(policy.cover_per_unit_minor, policy.currency).as_dict(),
        "aggregate_remaining": Money(
            policy.aggregate_limit_minor - policy.committed_minor, policy.currency
        ).as_dict(),
        "until": until.isoformat(),
        "claim_window_days": policy.claim_window_days,
        "window_starts": "sale" if unit["sold_at"] else "sale (not yet recorded)",
    }
