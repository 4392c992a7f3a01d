"""信用承诺制: a merchant pledges in place of a procedure's documents; the pledge is published with the
platform's seal; a pledge found broken becomes a credit record weighted as the methodology says and bars
the merchant from pledging for the methodology's period."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from core import agencies, audit
from core.clock import as_utc, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.events import emit
from core.security import Principal
from credit import methodology as methodology_
from credit import service
from credit.trust_events import PledgeChanged
from credit.trust_models import Pledge, PledgeStatus
from credit.trust_schemas import PledgeBreach, PledgeCreate
from enterprises import service as enterprises


def statement(p: Pledge, name_zh: str, uscc: str) -> bytes:
    """The canonical statement sealed and published: who pledges what, for which procedure, until when."""
    doc = {
        "enterprise": {"uscc": uscc, "name_zh": name_zh},
        "procedure": p.procedure,
        "obligations_zh": p.obligations_zh,
        "obligations_en": p.obligations_en,
        "signed_by": p.signed_by,
        "signed_at": as_utc(p.signed_at).isoformat(),
        "ends_at": as_utc(p.ends_at).isoformat(),
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def barred_until(session: Session, enterprise_id: int) -> datetime | None:
    """The end of the bar a broken pledge set, if it has not ended."""
    until = session.exec(
        select(func.max(Pledge.bars_until)).where(Pledge.enterprise_id == enterprise_id)
    ).one()
    return as_utc(until) if until is not None and as_utc(until) > utcnow() else None


def _may_pledge(session: Session, enterprise_id: int) -> None:
    until = barred_until(session, enterprise_id)
    if until is not None:
        raise Conflict(
            f"a broken pledge bars this merchant from pledging until {until.date().isoformat()}",
            field="procedure",
            rule="pledges.bar_days",
        )
    grade = service.grade_of(session, enterprise_id)
    rules = methodology_.current().trust
    listed = rules.measures_for(grade["grade"], grade["list"]) if grade else []
    barring = next((m for m in listed if m.applied_by == "pledges"), None)
    if barring is not None:
        raise Conflict(
            f"the joint measure {barring.name_en} ({barring.name_zh}, {barring.legal_basis}) applies to this "
            "merchant's list: no pledges",
            field="procedure",
            rule=f"measures.{barring.code}",
        )


def make(session: Session, enterprise_id: int, data: PledgeCreate, by: Principal) -> Pledge:
    rules = methodology_.current().trust
    if data.procedure not in rules.procedures:
        raise Invalid.field(
            "procedure", f"not a procedure that takes a pledge; known: {', '.join(sorted(rules.procedures))}"
        )
    if data.days > rules.pledge_max_days:
        raise Invalid.field("days", f"a pledge runs at most {rules.pledge_max_days} days")
    ent = enterprises.get(session, enterprise_id)
    if ent.kind != "merchant":
        raise Invalid.field("enterprise_id", "only merchants pledge")
    _may_pledge(session, enterprise_id)
    now = utcnow()
    same = session.exec(
        select(Pledge.id).where(
            Pledge.enterprise_id == enterprise_id,
            Pledge.procedure == data.procedure,
            Pledge.status == PledgeStatus.active,
            Pledge.ends_at > now,
        )
    ).first()
    if same is not None:
        raise Conflict(f"pledge {same} for this procedure is still in force", field="procedure")
    p = Pledge(
        enterprise_id=enterprise_id,
        procedure=data.procedure,
        obligations_zh=data.obligations_zh,
        obligations_en=data.obligations_en,
        signed_by=by.actor,
        signed_at=now,
        ends_at=now + timedelta(days=data.days),
        statement_sha256="",
        seal="",
        seal_key_id="",
    )
    body = statement(p, ent.name_zh, ent.uscc)
    keys = audit.keys(session)
    p.statement_sha256 = hashlib.sha256(body).hexdigest()
    p.seal = base64.b64encode(keys.signing.sign(body)).decode()
    p.seal_key_id = keys.key_id
    _announce(session, p, "credit.pledge_made", by.actor)
    return p


def _announce(session: Session, p: Pledge, action: str, actor: str) -> None:
    session.add(p)
    session.flush()
    state = view(p)
    audit.record(session, actor, action, "credit_pledge", p.id, state)
    payload = PledgeChanged(
        **{k: state[k] for k in PledgeChanged.model_fields if k in state},
    )
    emit(session, "credit.pledge_changed", "credit_pledge", p.id, payload, actor)


def view(p: Pledge) -> dict[str, Any]:
    return {k: (as_utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in p.model_dump().items()}


def get(session: Session, pledge_id: int, enterprise_id: int | None = None) -> Pledge:
    p = session.get(Pledge, pledge_id)
    if p is None or (enterprise_id is not None and p.enterprise_id != enterprise_id):
        raise NotFound(
            f"no pledge {pledge_id}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
        )
    return p


def of(session: Session, enterprise_id: int, *, public_only: bool = False) -> list[Pledge]:
    stmt = select(Pledge).where(Pledge.enterprise_id == enterprise_id).order_by(col(Pledge.id).desc())
    if public_only:  # withdrawn pledges are not published; broken ones are, with the breach
        stmt = stmt.where(Pledge.status != PledgeStatus.withdrawn)
    return list(session.exec(stmt.limit(200)))


def listing(session: Session, status: str | None = None, limit: int = 200, offset: int = 0) -> list[Pledge]:
    stmt = select(Pledge).order_by(col(Pledge.id).desc())
    if status is not None:
        stmt = stmt.where(Pledge.status == status)
    return list(session.exec(stmt.limit(limit).offset(offset)))


def withdraw(session: Session, enterprise_id: int, pledge_id: int, by: Principal) -> Pledge:
    p = get(session, pledge_id, enterprise_id)
    if p.status != PledgeStatus.active:
        raise Conflict(f"pledge {p.id} is {p.status}", field="pledge_id")
    p.status = PledgeStatus.withdrawn
    _announce(session, p, "credit.pledge_withdrawn", by.actor)
    return p


def breach(session: Session, pledge_id: int, data: PledgeBreach, by: Principal) -> Pledge:
    """A pledge found broken: a credit record of the methodology's `pledges.broken_kind` with the
    severity found, and a bar on pledging for `pledges.bar_days` of that severity."""
    p = get(session, pledge_id)
    agencies.ensure_acts_for_enterprise(session, by, p.enterprise_id, f"pledge {p.id}")
    if p.status != PledgeStatus.active:
        raise Conflict(
            f"pledge {p.id} is {p.status}; only a pledge in force can be found broken", field="pledge_id"
        )
    rules = methodology_.current().trust
    now = utcnow()
    occurred = as_utc(data.occurred_at) if data.occurred_at else now
    if occurred < as_utc(p.signed_at) or occurred > now + timedelta(minutes=5):
        raise Invalid.field("occurred_at", "must lie between the pledge's signing and now")
    before, _ = service.compute(session, p.enterprise_id)
    proc = rules.procedures.get(p.procedure)
    record, _ = service.add_record(
        session,
        enterprise_id=p.enterprise_id,
        kind=rules.broken_kind,
        severity=data.severity.value,
        occurred_at=occurred,
        title_zh=f"违背信用承诺：{proc.name_zh if proc else p.procedure}（承诺 {p.id}）",
        title_en=f"Broken credit pledge: {proc.name_en if proc else p.procedure} (pledge {p.id})",
        evidence=data.reason,
        evidence_ref=f"pledge:{p.id}",
        source_type="credit.pledge_breach",
        source_key=f"pledge_broken:{p.id}",
        actor=by.actor,
        reason=data.reason,
    )
    after = service.grade_of(session, p.enterprise_id)
    p.status, p.broken_at, p.decided_by = PledgeStatus.broken, now, by.actor
    p.breach_severity, p.breach_reason, p.record_id = data.severity.value, data.reason, record.id
    p.bars_until = now + timedelta(days=rules.bar_days[data.severity.value])
    p.grade_before, p.grade_after = before.grade, after["grade"] if after else before.grade
    _announce(session, p, "credit.pledge_broken", by.actor)
    return p


def effect(session: Session, p: Pledge) -> dict[str, Any] | None:
    """A broken pledge's effect: the grade before and after, with the methodology's rules named."""
    if p.status != PledgeStatus.broken:
        return None
    m = methodology_.current()
    kind = m.trust.broken_kind
    return {
        "grade_before": p.grade_before,
        "grade_after": p.grade_after,
        "reasons": [
            {
                "rule": f"kinds.{kind}.points.{p.breach_severity}",
                "name_zh": m.kinds[kind].name_zh if kind in m.kinds else kind,
                "name_en": m.kinds[kind].name_en if kind in m.kinds else kind,
                "points": -m.kinds[kind].points[p.breach_severity] if kind in m.kinds else 0,
            },
            {
                "rule": f"pledges.bar_days.{p.breach_severity}",
                "days": m.trust.bar_days.get(p.breach_severity, 0),
                "bars_until": as_utc(p.bars_until).isoformat() if p.bars_until else None,
            },
        ],
    }


def effect_of(session: Session, pledge_id: int) -> dict[str, Any] | None:
    return effect(session, get(session, pledge_id))
