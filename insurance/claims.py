"""Claims on a unit's cover: assessment (genuine, covered, in the window, not already claimed, within the
limits), decision, payout, recovery from the merchant, and loss ratios.

Two guards make money go out once. `InsuranceClaim.open_serial` is unique, so of two claims for one unit,
however concurrent, one insert fails. A policy's `committed_minor` only grows by a conditional UPDATE
(`committed + amount <= limit`), which the database evaluates on the current row under its row lock, so
fifty approvals at once never commit more than the aggregate limit.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.clock import as_utc, utcnow
from core.consumer_law import law_for, statutory_floor
from core.db import affected, id_of
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events import emit
from core.money import Money, MoneyError
from core.security import SYSTEM, Principal, Role
from insurance import service
from insurance.events import ClaimChanged, ClaimPaid
from insurance.models import ClaimStatus, InsuranceClaim, InsurancePolicy
from insurance.schemas import ClaimCreate, ClaimDecision
from traceability import service as traceability

AAD_ACCOUNT = b"crosstrust-insurance-payout-account"
UNPROCESSABLE = {"counterfeit", "revoked", "foreign_code", "not_covered", "outside_window", "over_unit_limit"}


class AccountBox:
    """Payout accounts sealed with AES-GCM (as complaint contacts are), shown masked."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the account key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, account: str) -> tuple[str, str]:
        nonce = os.urandom(12)
        cipher = base64.b64encode(nonce + self._aead.encrypt(nonce, account.encode(), AAD_ACCOUNT)).decode()
        masked = f"{account[:2]}****{account[-4:]}" if len(account) > 8 else "****" + account[-2:]
        return cipher, masked

    def open(self, cipher: str) -> str:
        raw = base64.b64decode(cipher)
        return self._aead.decrypt(raw[:12], raw[12:], AAD_ACCOUNT).decode()


@dataclass(frozen=True)
class CaseRef:
    """A complaint case the API layer has verified (its id and tracking token): whose it is and which
    unit it is about. Insurance never reads complaints' tables; the lead wires the verifier."""

    case_id: int
    enterprise_id: int
    serial: str | None


def refuse(code: str, reason: str, field: str = "serial") -> Invalid | Conflict:
    cls = Invalid if code in UNPROCESSABLE else Conflict
    return cls(f"{reason} ({code})", field=field, reason_code=code)


def assess(
    session: Session, serial: str, *, enterprise_id: int | None, at: datetime
) -> tuple[InsurancePolicy, dict[str, Any]]:
    """The policy that pays for this unit now and the unit, or a refusal naming the reason code."""
    unit = traceability.unit_of(session, serial)
    cover = service.cover_for(session, serial, at, unit=unit, names=False)
    if enterprise_id is not None and cover.get("enterprise_id") not in (None, enterprise_id):
        raise refuse("foreign_code", "this code belongs to another merchant than the case")
    if not cover["covered"]:
        raise refuse(cover["reason_code"], cover["reason"])
    open_claim = session.exec(
        select(InsuranceClaim.status).where(InsuranceClaim.open_serial == serial)
    ).first()
    if open_claim is not None:
        raise refuse("already_claimed", f"a claim for this unit is already {open_claim}")
    policy = session.get_one(InsurancePolicy, cover["policy_id"])
    return policy, unit or {}


def _payload(c: InsuranceClaim) -> ClaimChanged:
    return ClaimChanged(
        claim_id=c.id,
        policy_id=c.policy_id,
        enterprise_id=c.enterprise_id,
        insurer_id=c.insurer_id,
        serial=c.serial,
        source=c.source,
        status=c.status,
        reason_code=c.reason_code,
        amount_minor=c.paid_minor or c.approved_minor or c.asked_minor,
        currency=c.currency,
    )


def _event(session: Session, c: InsuranceClaim, event: str, actor: str) -> None:
    payload = _payload(c)
    audit.record(session, actor, event, "insurance_claim", c.id, payload.model_dump(mode="json"))
    emit(session, event, "insurance_claim", c.id, payload, actor)


def submit(
    session: Session,
    serial: str,
    *,
    source: str,
    enterprise_id: int | None,
    asked: Money | None,
    account: tuple[str, str] = ("", ""),
    complaint_id: int | None = None,
    floor: Money | None = None,
    law: str = "",
    actor: str = "system:insurance",
) -> InsuranceClaim:
    now = utcnow()
    policy, unit = assess(session, serial, enterprise_id=enterprise_id, at=now)
    if asked is not None:
        if asked.currency != policy.currency:
            raise Invalid.field("currency", f"the policy pays in {policy.currency}")
        if asked.amount_minor > policy.cover_per_unit_minor:
            raise refuse(
                "over_unit_limit",
                f"the most this policy pays for one unit is {policy.cover_per_unit_minor} minor units",
                field="amount_asked_minor",
            )
        if policy.committed_minor + asked.amount_minor > policy.aggregate_limit_minor:
            raise refuse(
                "aggregate_exhausted", "the policy's aggregate limit is used up", field="amount_asked_minor"
            )
    claim = InsuranceClaim(
        policy_id=id_of(policy),
        insurer_id=policy.insurer_id,
        enterprise_id=policy.enterprise_id,
        serial=serial,
        open_serial=serial,
        source=source,
        complaint_id=complaint_id,
        status=ClaimStatus.submitted,
        currency=policy.currency,
        unit_value_minor=unit.get("unit_value_minor", 0),
        product_category=unit.get("product_category", ""),
        product_name_zh=(unit.get("product_name_zh") or "")[:200],
        asked_minor=asked.amount_minor if asked else None,
        floor_minor=floor.amount_minor if floor else None,
        law=law,
        account_cipher=account[0],
        account_masked=account[1],
        grade=policy.grade,
        submitted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:
        # The other of two simultaneous claims for this unit committed first.
        raise refuse("already_claimed", "a claim for this unit has just been made") from None
    _event(session, claim, "insurance.claim_submitted", actor)
    return claim


# (session, case_id, tracking_token) -> the case, if the token opens that case: complaints' check, which the
# API layer hands in (insurance never reads complaints' tables).
CaseVerifier = Callable[[Session, int, str], CaseRef | None]


def consumer_claim(
    session: Session, data: ClaimCreate, verify: CaseVerifier, box: AccountBox
) -> InsuranceClaim:
    """A consumer's own claim: on the complaint case its tracking token opens, for the unit that case is
    about (or, where the case names none, the serial given), then assessed as any claim (`submit`)."""
    case = verify(session, data.case_id, data.tracking_token)
    if case is None:
        raise Invalid.field("tracking_token", "no case with this id and tracking token")
    if case.serial is not None and case.serial != data.serial:
        raise Invalid.field("serial", "the case is about another unit")
    return submit(
        session,
        data.serial,
        source="consumer",
        enterprise_id=case.enterprise_id,
        asked=Money(data.amount_asked_minor, data.currency),
        account=box.seal(data.account),
        actor=f"consumer:case:{case.case_id}",
    )


def get_claim(
    session: Session, claim_id: int, by: Principal | None = None, *, lock: bool = False
) -> InsuranceClaim:
    q = select(InsuranceClaim).where(InsuranceClaim.id == claim_id)
    if lock:
        q = q.with_for_update()
    claim = session.exec(q).first()
    if claim is None:
        raise NotFound(f"no claim {claim_id}", field="claim_id")
    if by is not None:
        if by.role == Role.insurer and claim.insurer_id != by.enterprise_id:
            raise Forbidden("this claim is on a policy of another insurer")
        if by.role == Role.merchant and claim.enterprise_id != by.enterprise_id:
            raise Forbidden("this claim is about another merchant")
    return claim


def _decider(by: Principal) -> None:
    by.require_role(Role.insurer, Role.admin)


def review(session: Session, claim_id: int, by: Principal) -> InsuranceClaim:
    _decider(by)
    claim = get_claim(session, claim_id, by, lock=True)
    if claim.status == ClaimStatus.submitted:
        claim.status = ClaimStatus.under_review
        session.add(claim)
        session.flush()
    elif claim.status != ClaimStatus.under_review:
        raise Conflict(f"claim {claim.id} is {claim.status}", field="claim_id")
    return claim


def assessed_amount(claim: InsuranceClaim, policy: InsurancePolicy) -> int:
    """What the claim is worth: what was asked, never below the statutory floor, never above the
    per-unit cover."""
    amount = max(claim.asked_minor or 0, claim.floor_minor or 0)
    return min(amount, policy.cover_per_unit_minor)


def decide(session: Session, claim_id: int, decision: ClaimDecision, by: Principal) -> InsuranceClaim:
    _decider(by)
    claim = get_claim(session, claim_id, by, lock=True)
    if claim.status not in (ClaimStatus.submitted, ClaimStatus.under_review):
        raise Conflict(f"claim {claim.id} is already {claim.status}", field="claim_id")
    now = utcnow()
    if not decision.approve:
        _reject(claim, str(decision.reason_code), decision.reason, by.actor, now)
        _event(session, claim, "insurance.claim_decided", by.actor)
        return claim
    policy = session.get_one(InsurancePolicy, claim.policy_id)
    amount = decision.amount_minor or assessed_amount(claim, policy)
    if amount > policy.cover_per_unit_minor:
        raise refuse(
            "over_unit_limit", f"at most {policy.cover_per_unit_minor} minor units per unit", "amount_minor"
        )
    result = session.execute(
        update(InsurancePolicy)
        .where(
            col(InsurancePolicy.id) == policy.id,
            col(InsurancePolicy.committed_minor) + amount <= col(InsurancePolicy.aggregate_limit_minor),
        )
        .values(committed_minor=col(InsurancePolicy.committed_minor) + amount)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise refuse(
            "aggregate_exhausted",
            "approving this amount would exceed the policy's aggregate limit",
            "amount_minor",
        )
    session.expire(policy)
    claim.status, claim.approved_minor = ClaimStatus.approved, amount
    claim.decided_at, claim.decided_by = now, by.actor
    claim.reason, claim.reason_code = decision.reason[:500], ""
    session.add(claim)
    session.flush()
    _event(session, claim, "insurance.claim_decided", by.actor)
    return claim


def _reject(claim: InsuranceClaim, code: str, reason: str, actor: str, now: datetime) -> None:
    claim.status, claim.reason_code, claim.reason = ClaimStatus.rejected, code, reason[:500]
    claim.open_serial = None  # a rejected claim does not block a later, better-founded one
    claim.decided_at, claim.decided_by = now, actor


def pay(session: Session, claim_id: int, by: Principal) -> InsuranceClaim:
    """Pay an approved claim to the consumer; the merchant owes the deductible back (recovery)."""
    _decider(by)
    claim = get_claim(session, claim_id, by, lock=True)
    if claim.status == ClaimStatus.paid:
        return claim
    if claim.status != ClaimStatus.approved:
        raise Conflict(
            f"claim {claim.id} is {claim.status}; only an approved claim is paid", field="claim_id"
        )
    policy = session.get_one(InsurancePolicy, claim.policy_id)
    now = utcnow()
    claim.status, claim.paid_minor, claim.paid_at = ClaimStatus.paid, claim.approved_minor, now
    claim.recovery_due_minor = min(policy.deductible_minor, claim.approved_minor or 0)
    session.add(claim)
    session.flush()
    paid = ClaimPaid(
        claim_id=claim.id,
        enterprise_id=claim.enterprise_id,
        amount_minor=claim.paid_minor or 0,
        currency=claim.currency,
        paid_at=now,
        product_name_zh=claim.product_name_zh or None,
        serial=claim.serial,
        policy_id=claim.policy_id,
        insurer_id=claim.insurer_id,
        source=claim.source,
    )
    audit.record(
        session, by.actor, "insurance.claim_paid", "insurance_claim", claim.id, paid.model_dump(mode="json")
    )
    emit(session, "insurance.claim_paid", "insurance_claim", claim.id, paid, by.actor)
    return claim


def record_recovery(session: Session, claim_id: int, amount_minor: int, by: Principal) -> InsuranceClaim:
    """Money recovered from the merchant (追偿), up to what it owes."""
    _decider(by)
    claim = get_claim(session, claim_id, by, lock=True)
    if claim.status != ClaimStatus.paid:
        raise Conflict("only a paid claim has a recovery", field="claim_id")
    if claim.recovered_minor + amount_minor > claim.recovery_due_minor:
        raise Invalid.field(
            "amount_minor",
            f"the merchant owes {claim.recovery_due_minor - claim.recovered_minor} more minor units",
        )
    claim.recovered_minor += amount_minor
    session.add(claim)
    audit.record(
        session, by.actor, "insurance.recovered", "insurance_claim", claim.id, {"amount_minor": amount_minor}
    )
    return claim


def adjudicate(
    session: Session,
    serial: str,
    *,
    source: str,
    enterprise_id: int | None,
    asked: Money | None,
    floor: Money | None = None,
    law: str = "",
    complaint_id: int | None = None,
    account: tuple[str, str] = ("", ""),
    by: Principal = SYSTEM,
) -> InsuranceClaim:
    """Submit, approve at the assessed amount and pay, in one transaction (advance compensation); over
    the aggregate limit the claim is rejected with that reason instead."""
    claim = submit(
        session,
        serial,
        source=source,
        enterprise_id=enterprise_id,
        asked=None,
        account=account,
        complaint_id=complaint_id,
        floor=floor,
        law=law,
        actor=by.actor,
    )
    claim.asked_minor = asked.amount_minor if asked else None
    try:
        decide(session, id_of(claim), ClaimDecision(approve=True), by)
    except Conflict as exc:
        if exc.extra.get("reason_code") != "aggregate_exhausted":
            raise
        _reject(claim, "aggregate_exhausted", exc.detail, by.actor, utcnow())
        session.add(claim)
        _event(session, claim, "insurance.claim_decided", by.actor)
        return claim
    return pay(session, id_of(claim), by)


def advance_compensation(session: Session, p: Any) -> InsuranceClaim | None:
    """先行赔付 for a complaint (`complaint.compensation_due`): pay the consumer from the merchant's policy
    at least the statutory floor. Once per complaint; a unit not covered gets no claim (the complaint
    domain records a payment by hand then)."""
    existing = session.exec(
        select(InsuranceClaim).where(InsuranceClaim.complaint_id == p.complaint_id)
    ).first()
    if existing is not None:
        return existing
    unit = traceability.unit_of(session, p.serial)
    if unit is None:
        return None
    floor_minor = p.statutory_floor_minor
    law = p.law
    if floor_minor is None:
        try:
            law = law or law_for(unit["product_category"])
            floor_minor = statutory_floor(Money(unit["unit_value_minor"], unit["currency"]), law).amount_minor
        except MoneyError:
            floor_minor = 0
    try:
        return adjudicate(
            session,
            p.serial,
            source="complaint",
            enterprise_id=p.enterprise_id,
            asked=Money(p.amount_asked_minor, p.currency) if p.amount_asked_minor else None,
            floor=Money(floor_minor or 0, p.currency),
            law=law,
            complaint_id=p.complaint_id,
            account=("", f"complaint:{p.complaint_id}"),
        )
    except (Invalid, Conflict):
        return None


# --- views ----------------------------------------------------------------------------------------


def list_claims(
    session: Session,
    *,
    insurer_id: int | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
    newest_first: bool = False,
) -> list[InsuranceClaim]:
    """Claims in the order they came (an insurer's queue), or newest first (a merchant's profile)."""
    order = col(InsuranceClaim.id).desc() if newest_first else col(InsuranceClaim.id)
    q = select(InsuranceClaim).order_by(order).limit(limit).offset(offset)
    if insurer_id is not None:
        q = q.where(InsuranceClaim.insurer_id == insurer_id)
    if enterprise_id is not None:
        q = q.where(InsuranceClaim.enterprise_id == enterprise_id)
    if status is not None:
        q = q.where(InsuranceClaim.status == status)
    return list(session.exec(q))


def unit_claims(session: Session) -> dict[str, dict[str, Any]]:
    """Approved and paid claims by serial, for the scan (one query, cached by the caller)."""
    # Five columns: SQLAlchemy's select (SQLModel's is typed for at most four).
    rows = session.execute(
        sa_select(
            col(InsuranceClaim.serial),
            col(InsuranceClaim.status),
            col(InsuranceClaim.approved_minor),
            col(InsuranceClaim.currency),
            col(InsuranceClaim.paid_at),
        ).where(col(InsuranceClaim.status).in_([ClaimStatus.approved, ClaimStatus.paid]))
    ).all()
    return {
        serial: {
            "status": status,
            "amount": {"amount_minor": amount or 0, "currency": currency},
            "paid_at": as_utc(paid_at).isoformat() if paid_at else None,
        }
        for serial, status, amount, currency, paid_at in rows
    }


def unit_claim(session: Session, serial: str) -> dict[str, Any] | None:
    row = session.exec(
        select(InsuranceClaim).where(
            InsuranceClaim.serial == serial,
            col(InsuranceClaim.status).in_([ClaimStatus.approved, ClaimStatus.paid]),
        )
    ).first()
    if row is None:
        return None
    return {
        "status": row.status,
        "amount": {"amount_minor": row.approved_minor or 0, "currency": row.currency},
        "paid_at": as_utc(row.paid_at).isoformat() if row.paid_at else None,
    }


def claim_of_case(session: Session, complaint_id: int, serial: str | None) -> dict[str, Any] | None:
    """The claim a complaint case led to, for the consumer following it by token: the claim made for
    the case (先行赔付), else the latest claim on the case's unit (a consumer's own claim names the
    unit, not the case). What the consumer may see: status, amounts, dates; no account, no insurer notes."""
    row = session.exec(
        select(InsuranceClaim)
        .where(InsuranceClaim.complaint_id == complaint_id)
        .order_by(col(InsuranceClaim.id).desc())
    ).first()
    if row is None and serial:
        row = session.exec(
            select(InsuranceClaim)
            .where(InsuranceClaim.serial == serial)
            .order_by(col(InsuranceClaim.id).desc())
        ).first()
    if row is None:
        return None
    return {
        "status": row.status,
        "reason_code": row.reason_code,
        "currency": row.currency,
        "asked_minor": row.asked_minor,
        "approved_minor": row.approved_minor,
        "paid_minor": row.paid_minor,
        "submitted_at": as_utc(row.submitted_at).isoformat(),
        "decided_at": as_utc(row.decided_at).isoformat() if row.decided_at else None,
        "paid_at": as_utc(row.paid_at).isoformat() if row.paid_at else None,
    }


def loss_ratios(session: Session, insurer_id: int) -> dict[str, Any]:
    """Net paid (paid minus recovered) over written premium, per grade, per merchant and per product:
    the figure that tells an insurer whether its grade multipliers price the risk."""
    bound = col(InsurancePolicy.bound_at).is_not(None)
    premiums = session.exec(
        select(
            InsurancePolicy.grade,
            InsurancePolicy.enterprise_id,
            InsurancePolicy.product_id,
            func.sum(InsurancePolicy.premium_minor),
        )
        .where(InsurancePolicy.insurer_id == insurer_id, bound)
        .group_by(
            col(InsurancePolicy.grade), col(InsurancePolicy.enterprise_id), col(InsurancePolicy.product_id)
        )
    ).all()
    losses = session.execute(
        sa_select(
            col(InsurancePolicy.grade),
            col(InsurancePolicy.enterprise_id),
            col(InsurancePolicy.product_id),
            func.sum(col(InsuranceClaim.paid_minor) - col(InsuranceClaim.recovered_minor)),
            func.count(col(InsuranceClaim.id)),
        )
        .join(InsurancePolicy, col(InsurancePolicy.id) == InsuranceClaim.policy_id)
        .where(col(InsuranceClaim.insurer_id) == insurer_id, col(InsuranceClaim.status) == ClaimStatus.paid)
        .group_by(
            col(InsurancePolicy.grade), col(InsurancePolicy.enterprise_id), col(InsurancePolicy.product_id)
        )
    ).all()
    out: dict[str, dict[Any, dict[str, Any]]] = {"by_grade": {}, "by_merchant": {}, "by_product": {}}
    for grade, ent, prod, premium in premiums:
        for dim, key in (("by_grade", grade), ("by_merchant", ent), ("by_product", prod)):
            row = out[dim].setdefault(key, {"premium_minor": 0, "net_paid_minor": 0, "claims_paid": 0})
            row["premium_minor"] += int(premium or 0)
    for grade, ent, prod, paid, n in losses:
        for dim, key in (("by_grade", grade), ("by_merchant", ent), ("by_product", prod)):
            row = out[dim].setdefault(key, {"premium_minor": 0, "net_paid_minor": 0, "claims_paid": 0})
            row["net_paid_minor"] += int(paid or 0)
            row["claims_paid"] += int(n)
    result: dict[str, Any] = {}
    for dim, rows in out.items():
        result[dim] = [
            {
                dim.removeprefix("by_"): key,
                **row,
                "loss_ratio": round(row["net_paid_minor"] / row["premium_minor"], 4)
                if row["premium_minor"]
                else None,
            }
            for key, row in sorted(rows.items(), key=lambda kv: str(kv[0]))
        ]
    return result
