"""The demo's complaints, filed on the first merchant's scanned codes, in their different states."""

from __future__ import annotations

from core.db import id_of
from core.security import Role

DEMO_COMPLAINTS = [
    # (narrative, category, contact, consent, what happens next)
    ("奶粉罐底有结块，冲调后有异味，要求退款。", "quality", "13800000001", False, "open"),
    (
        "扫码显示该码已被查询多次，怀疑买到假货，商家一直不回复。",
        "counterfeit",
        "13800000002",
        False,
        "overdue",
    ),
    ("包裹外箱破损，一罐奶粉凹陷，要求换货。", "logistics", "demo.buyer@example.com", False, "resolved"),
    (
        "收到的商品与页面描述的产地不一致，我叫张伟，电话13900000003，希望商家解释。",
        "not_as_described",
        "13900000003",
        True,
        "published",
    ),
    # Sent on to Pudong's agency (双向移送): the second agency's demo regulator acts on it, the zone's reads it.
    (
        "在上海浦东门店购买的同批次奶粉标签缺少中文说明，要求退货。",
        "quality",
        "13800000005",
        False,
        "transferred",
    ),
]


def seed_complaints(db, settings, urls: list[str]) -> dict[str, str]:  # noqa: ANN001 - Database, Settings
    """Complaints in several states (open, overdue and in mediation, resolved, published), filed and
    moved through the same service functions as real ones. Returns {state: ticket number}."""
    from datetime import timedelta

    from complaints import service as complaints
    from complaints.schemas import AnswerIn, IntakeIn, TransferIn
    from core.clock import clock, utcnow
    from core.security import Principal

    kit = complaints.Kit.from_settings(settings)
    tickets: dict[str, str] = {}
    for (narrative, category, contact, consent, state), uri in zip(DEMO_COMPLAINTS, urls, strict=False):
        if state == "overdue":
            clock.freeze(utcnow() - timedelta(days=20))  # filed long enough ago for the answer to be late
        try:
            with db.transaction() as s:
                c, token, _ = complaints.intake(
                    s,
                    kit,
                    IntakeIn(
                        code=uri,
                        category=category,
                        narrative=narrative,
                        wanted="refund",
                        contact=contact,
                        consent_publish=consent,
                    ),
                    [],
                )
        finally:
            clock.reset()
        tickets[state] = c.ticket_no
        merchant = Principal(key_id=None, role=Role.merchant, enterprise_id=c.enterprise_id, prefix="demo")
        if state in ("resolved", "published"):
            with db.transaction() as s:
                complaints.answer(
                    s,
                    kit,
                    c.enterprise_id,
                    id_of(c),
                    AnswerIn(
                        outcome="explanation",
                        public_response="acted_in_good_faith",
                        text="已联系消费者说明情况",
                    ),
                    merchant,
                )
        if state == "resolved":
            with db.transaction() as s:
                complaints.accept(s, token)
        if state == "transferred":
            zone = Principal(
                key_id=None, role=Role.regulator, enterprise_id=None, prefix="demo", agency="330206"
            )
            with db.transaction() as s:
                complaints.transfer(
                    s, id_of(c), TransferIn(to_region="310115", reason="消费者在浦东购买"), zone
                )
    complaints.sweep(db, kit)
    return tickets
