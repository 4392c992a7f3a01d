"""How other domains' events become credit records. Each record is keyed by what it is about, so an
event delivered twice adds nothing the second time; each one recomputes the enterprise's score.

Each handler reads `event.data`, the event parsed by its emitter's contract (the domain's events.py):
a field renamed there fails the contract test of every subscription (tests/core/test_subscriptions.py),
not a delivery in production.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from complaints.events import ComplaintClosed, ComplaintOverdue
from core.clock import as_utc
from core.english import english_name
from core.events import Event, subscribe
from core.money import Money
from credit import service
from enterprises import service as enterprises
from enterprises.events import EnterpriseRegistered
from insurance.events import ClaimPaid
from traceability.events import DeclarationChanged, LotRecalled


def _at(value: datetime | None, event: Event) -> datetime:
    return as_utc(value) if value else event.created_at


@subscribe("enterprise.registered", "credit.rate_new_enterprise")
def rate_new_enterprise(session: Session, event: Event[EnterpriseRegistered]) -> None:
    """A new merchant starts with the methodology's starting score, so it is rated from day one."""
    ent = enterprises.public_profile(session, event.data.enterprise_id)
    if ent is not None and ent["kind"] == "merchant":
        service.recompute(session, ent["id"], event.type)


@subscribe("declaration.inspected", "credit.inspection_failure")
def inspection_failure(session: Session, event: Event[DeclarationChanged]) -> None:
    d = event.data
    for ln in d.lines:
        if ln.inspection_result != "fail":
            continue
        product = ln.product
        # Failed infant formula is the gravest case in cross-border trade (cf. GB 10765 / the 2008 crisis).
        severity = "serious" if product.category == "infant_formula" else "general"
        service.add_record(
            session,
            enterprise_id=d.enterprise_id,
            kind="inspection_failure",
            severity=severity,
            occurred_at=_at(d.inspected_at, event),
            title_zh=f"检验不合格：{product.name_zh}（批次 {ln.lot}，报关单 {d.declaration_no}）",
            title_en=f"Failed inspection: {english_name(product.name_en, product.name_zh)} (lot {ln.lot}, "
            f"declaration {d.declaration_no})",
            evidence="、".join(ln.tests_performed),
            evidence_ref=ln.lab_report_ref,
            source_type=event.type,
            source_key=f"inspection:{d.id}:{ln.line_no}",
            source_event_id=event.id,
            actor="system:credit",
        )


@subscribe("lot.recalled", "credit.recall")
def recall(session: Session, event: Event[LotRecalled]) -> None:
    p = event.data
    # A merchant's own recall weighs less than one ordered by a regulator.
    severity = "minor" if p.recalled_by == "merchant" else "general"
    service.add_record(
        session,
        enterprise_id=p.enterprise_id,
        kind="recall",
        severity=severity,
        occurred_at=event.created_at,
        title_zh=f"召回：{p.product_name_zh}（批次 {p.lot}）",
        title_en=f"Recall: lot {p.lot} of GTIN {p.gtin}",
        evidence=p.reason,
        evidence_ref=p.declaration_no,
        source_type=event.type,
        source_key=f"recall:{p.line_id}",
        source_event_id=event.id,
        actor="system:credit",
    )


@subscribe("complaint.closed", "credit.complaint_outcome")
def complaint_outcome(session: Session, event: Event[ComplaintClosed]) -> None:
    p = event.data
    if p.outcome != "upheld":
        return
    service.add_record(
        session,
        enterprise_id=p.enterprise_id,
        kind="complaint_upheld",
        severity=p.severity or "general",
        occurred_at=_at(p.closed_at, event),
        title_zh=f"投诉成立（投诉 {p.complaint_id}）" + (f"：{p.summary}" if p.summary else ""),
        title_en=f"Complaint {p.complaint_id} upheld against the merchant",
        source_type=event.type,
        source_key=f"complaint:{p.complaint_id}",
        source_event_id=event.id,
        actor="system:credit",
    )


@subscribe("complaint.overdue", "credit.late_complaint_answer")
def late_answer(session: Session, event: Event[ComplaintOverdue]) -> None:
    p = event.data
    service.add_record(
        session,
        enterprise_id=p.enterprise_id,
        kind="late_complaint_answer",
        severity="minor",
        occurred_at=_at(p.due_at, event),
        title_zh=f"投诉 {p.complaint_id} 超期未答复",
        title_en=f"Complaint {p.complaint_id} not answered in time",
        source_type=event.type,
        source_key=f"complaint-late:{p.complaint_id}:{p.stage}",
        source_event_id=event.id,
        actor="system:credit",
    )


@subscribe("insurance.claim_paid", "credit.claim_paid")
def claim_paid(session: Session, event: Event[ClaimPaid]) -> None:
    p = event.data
    amount = Money(p.amount_minor, p.currency)
    # Larger payouts mean worse harm to consumers: at least 10,000 CNY is serious, 1,000 general.
    yuan = p.amount_minor / 100 if p.currency == "CNY" else 0
    severity = "serious" if yuan >= 10_000 else "general" if yuan >= 1_000 else "minor"
    service.add_record(
        session,
        enterprise_id=p.enterprise_id,
        kind="insurance_claim_paid",
        severity=severity,
        occurred_at=_at(p.paid_at, event),
        title_zh=f"质量保险理赔 {amount.format('zh_CN')}"
        + (f"：{p.product_name_zh}" if p.product_name_zh else ""),
        title_en=f"Quality-insurance claim paid: {amount.format('en_US')}",
        source_type=event.type,
        source_key=f"claim:{p.claim_id}",
        source_event_id=event.id,
        actor="system:credit",
    )
