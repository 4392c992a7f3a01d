"""Disclosure records from insurance's events: a merchant's quality-insurance cover (服务信息) and
a paid claim (投诉举报)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import as_utc
from core.english import english_name
from core.events import Event
from core.money import Money
from core.workdays import CHINA_TZ
from disclosure import service
from disclosure.models import Category
from disclosure.records import Builder, Record, base_fields, enterprise_of
from insurance import service as insurance
from insurance.events import ClaimPaid, PolicyChanged


def _insurance_cover(session: Session, event: Event[PolicyChanged]) -> list[Record]:
    """The merchant's quality insurance as a public service record (服务信息): one record per merchant,
    showing the cover in force now; when none is left (lapsed, cancelled) its publication ends."""
    p = event.data
    ent = enterprise_of(session, p.enterprise_id)
    key = f"service:insurance:{ent['id']}"
    now = event.created_at
    cover = insurance.enterprise_cover(session, ent["id"])  # now, not as the (maybe retried) event saw it
    if cover is None and event.type == "insurance.policy_activated":
        if as_utc(p.ends_at) <= now:
            return []
        cover = {  # bound to start later: published from its terms
            "policy_no": p.policy_no,
            "insurer": {
                "name_zh": (insurer := enterprise_of(session, p.insurer_id))["name_zh"],
                "name_en": insurer["name_en"],
            },
            "cover_per_unit": {"amount_minor": p.cover_per_unit_minor, "currency": p.currency},
            "until": as_utc(p.ends_at).isoformat(),
        }
    if cover is None:
        if not service.by_keys_with_prefix(session, key, ent["id"]):
            return []
        return [(key, _cover_ended(session, ent, event))]
    amount = Money(cover["cover_per_unit"]["amount_minor"], cover["cover_per_unit"]["currency"])
    until = datetime.fromisoformat(cover["until"])
    day = until.astimezone(CHINA_TZ).date().isoformat()
    insurer_zh = cover["insurer"]["name_zh"]
    fields = base_fields(
        session,
        ent,
        Category.service,
        now,
        event,
        title_zh=f"{ent['name_zh']} 已投保品质险（{insurer_zh} 承保）",
        title_en=f"{english_name(ent['name_en'], ent['name_zh'])}: quality insurance by "
        f"{english_name(cover['insurer'].get('name_en'), insurer_zh)}",
        body_zh=f"保单 {cover['policy_no']}：每件商品最高赔付 {amount.format('zh_CN')}，保障至 {day}。",
        body_en=f"Policy {cover['policy_no']}: up to {amount.format('en_US')} per item, until {day}.",
        fields={
            "insured": True,
            "policy_no": cover["policy_no"],
            "insurer": insurer_zh,
            "cover_per_unit_minor": amount.amount_minor,
            "currency": amount.currency,
            "until": cover["until"],
        },
        publish_until=until,
    )
    return [(key, fields)]


def _cover_ended(session: Session, ent: dict[str, Any], event: Event[PolicyChanged]) -> dict[str, Any]:
    """The service record once no cover is left: published until now."""
    p = event.data
    lapsed = event.type.endswith("lapsed")
    return base_fields(
        session,
        ent,
        Category.service,
        event.created_at,
        event,
        title_zh=f"{ent['name_zh']} 品质保险已终止",
        title_en=f"{english_name(ent['name_en'], ent['name_zh'])}: quality insurance ended",
        body_zh=f"保单 {p.policy_no} 已{'到期' if lapsed else '退保'}，未续保。",
        body_en=f"Policy {p.policy_no} {'lapsed' if lapsed else 'was cancelled'} without renewal.",
        fields={"insured": False, "policy_no": p.policy_no, "status": p.status.value},
        publish_until=event.created_at,
    )


def _insurance_claim(session: Session, event: Event[ClaimPaid]) -> list[Record]:
    """A paid quality-insurance claim as a complaint-category record (投诉举报信息): the unit and the
    amount, never the consumer."""
    p = event.data
    ent = enterprise_of(session, p.enterprise_id)
    amount = Money(p.amount_minor, p.currency)
    what = p.product_name_zh or "商品"
    advance = p.source == "complaint"
    fields = base_fields(
        session,
        ent,
        Category.complaint,
        p.paid_at,
        event,
        title_zh=f"{'先行赔付' if advance else '品质险理赔'}：{what}"[:300],
        title_en=f"{'Advance compensation' if advance else 'Quality-insurance claim'} paid: {amount.format('en_US')}",
        body_zh=f"品质保险已赔付 {amount.format('zh_CN')}（理赔 {p.claim_id}，商品序列号 {p.serial or '—'}）。",
        body_en=f"Quality insurance paid {amount.format('en_US')} (claim {p.claim_id}, item serial {p.serial or '-'}).",
        fields={
            "claim_id": p.claim_id,
            "amount_minor": amount.amount_minor,
            "currency": amount.currency,
            "serial": p.serial,
            "source": p.source,
        },
    )
    return [(f"complaint:insurance_claim:{p.claim_id}", fields)]


# The event and the builders of its records, in the order they are written (disclosure/handlers.py).
INSURANCE_COVER: dict[str, tuple[Builder, ...]] = {
    "insurance.policy_activated": (_insurance_cover,),
    "insurance.policy_lapsed": (_insurance_cover,),
    "insurance.policy_cancelled": (_insurance_cover,),
}
INSURANCE_CLAIM: dict[str, tuple[Builder, ...]] = {
    "insurance.claim_paid": (_insurance_claim,),
}
