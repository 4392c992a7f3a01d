"""How other domains' events become credit records. Each record is keyed by what it is about, so an
event delivered twice adds nothing the second time; each one recomputes the enterprise's score.

Events from domains that have not landed yet are subscribed to by their agreed contract:
  complaint.closed     {complaint_id, enterprise_id, outcome: "upheld"|..., severity?, closed_at, summary}
  complaint.overdue    {complaint_id, enterprise_id, stage, due_at}
  insurance.claim_paid {claim_id, enterprise_id, amount_minor, currency, paid_at, product_name_zh?}
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.clock import as_utc
from core.english import english_name
from core.events import Event, subscribe
from core.money import Money
from credit import service
from credit.methodology import SEVERITIES
from enterprises import service as enterprises


def _at(value: str | None, event: Event) -> datetime:
    return as_utc(datetime.fromisoformat(value)) if value else event.created_at


@subscribe("enterprise.registered", "credit.rate_new_enterprise")
def rate_new_enterprise(session: Session, event: Event) -> None:
    """A new merchant starts with the methodology's starting score, so it is rated from day one."""
    ent = enterprises.public_profile(session, event.payload["enterprise_id"])
    if ent is not None and ent["kind"] == "merchant":
        service.recompute(session, ent["id"], event.type)


@subscribe("declaration.inspected", "credit.inspection_failure")
def inspection_failure(session: Session, event: Event) -> None:
    d = event.payload
    for ln in d["lines"]:
        if ln.get("inspection_result") != "fail":
            continue
        product = ln["product"]
        # Failed infant formula is the gravest case in cross-border trade (cf. GB 10765 / the 2008 crisis).
        severity = "serious" if product["category"] == "infant_formula" else "general"
        service.add_record(
            session,
            enterprise_id=d["enterprise_id"],
            kind="inspection_failure",
            severity=severity,
            occurred_at=_at(d.get("inspected_at"), event),
            title_zh=f"检验不合格：{product['name_zh']}（批次 {ln['lot']}，报关单 {d['declaration_no']}）",
            title_en=f"Failed inspection: {english_name(product['name_en'], product['name_zh'])} (lot {ln['lot']}, "
            f"declaration {d['declaration_no']})",
            evidence="、".join(ln.get("tests_performed") or []),
            evidence_ref=ln.get("lab_report_ref") or "",
            source_type=event.type,
            source_key=f"inspection:{d['id']}:{ln['line_no']}",
            source_event_id=event.id,
            actor="system:credit",
        )


@subscribe("lot.recalled", "credit.recall")
def recall(session: Session, event: Event) -> None:
    p = event.payload
    # A merchant's own recall weighs less than one ordered by a regulator.
    severity = "minor" if p.get("recalled_by") == "merchant" else "general"
    service.add_record(
        session,
        enterprise_id=p["enterprise_id"],
        kind="recall",
        severity=severity,
        occurred_at=event.created_at,
        title_zh=f"召回：{p['product_name_zh']}（批次 {p['lot']}）",
        title_en=f"Recall: lot {p['lot']} of GTIN {p['gtin']}",
        evidence=p["reason"],
        evidence_ref=p["declaration_no"],
        source_type=event.type,
        source_key=f"recall:{p['line_id']}",
        source_event_id=event.id,
        actor="system:credit",
    )


@subscribe("complaint.closed", "credit.complaint_outcome")
def complaint_outcome(session: Session, event: Event) -> None:
    p = event.payload
    if p.get("outcome") != "upheld":
        return
    service.add_record(
        session,
        enterprise_id=p["enterprise_id"],
        kind="complaint_upheld",
        severity=severity
        if isinstance(severity := p.get("severity"), str) and severity in SEVERITIES
        else "general",
        occurred_at=_at(p.get("closed_at"), event),
        title_zh=f"投诉成立（投诉 {p['complaint_id']}）" + (f"：{p['summary']}" if p.get("summary") else ""),
        title_en=f"Complaint {p['complaint_id']} upheld against the merchant",
        source_type=event.type,
        source_key=f"complaint:{p['complaint_id']}",
        source_event_id=event.id,
        actor="system:credit",
    )


@subscribe("complaint.overdue", "credit.late_complaint_answer")
def late_answer(session: Session, event: Event) -> None:
    p = event.payload
    service.add_record(
        session,
        enterprise_id=p["enterprise_id"],
        kind="late_complaint_answer",
        severity="minor",
        occurred_at=_at(p.get("due_at"), event),
        title_zh=f"投诉 {p['complaint_id']} 超期未答复",
        title_en=f"Complaint {p['complaint_id']} not answered in time",
        source_type=event.type,
        source_key=f"complaint-late:{p['complaint_id']}:{p.get('stage', 'merchant')}",
        source_event_id=event.id,
        actor="system:credit",
    )


@subscribe("insurance.claim_paid", "credit.claim_paid")
def claim_paid(session: Session, event: Event) -> None:
    p = event.payload
    amount = Money(p["amount_minor"], p["currency"])
    # Larger payouts mean worse harm to consumers: at least 10,000 CNY is serious, 1,000 general.
    yuan = p["amount_minor"] / 100 if p["currency"] == "CNY" else 0
    severity = "serious" if yuan >= 10_000 else "general" if yuan >= 1_000 else "minor"
    service.add_record(
        session,
        enterprise_id=p["enterprise_id"],
        kind="insurance_claim_paid",
        severity=severity,
        occurred_at=_at(p.get("paid_at"), event),
        title_zh=f"质量保险理赔 {amount.format('zh_CN')}"
        + (f"：{p['product_name_zh']}" if p.get("product_name_zh") else ""),
        title_en=f"Quality-insurance claim paid: {amount.format('en_US')}",
        source_type=event.type,
        source_key=f"claim:{p['claim_id']}",
        source_event_id=event.id,
        actor="system:credit",
    )
