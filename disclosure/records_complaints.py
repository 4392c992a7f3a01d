"""Disclosure records from complaints' events (投诉举报): the enterprise's complaint figures and a
consented case, its narrative scrubbed of personal data."""

from __future__ import annotations

from sqlmodel import Session

from complaints.events import (
    ComplaintAnswered,
    ComplaintChanged,
    ComplaintClosed,
    ComplaintOverdue,
    ComplaintPublished,
    ComplaintReceived,
    ComplaintUnpublished,
)
from core.clock import as_utc
from core.english import english_name
from core.events import Event
from disclosure import service
from disclosure.models import Category
from disclosure.records import Builder, Record, base_fields, enterprise_of

CATEGORY_ZH = {
    "quality": "质量问题",
    "counterfeit": "疑似假冒",
    "logistics": "物流",
    "not_as_described": "货不对板",
    "after_sales": "售后",
    "other": "其他",
}


CATEGORY_EN = {
    "quality": "quality",
    "counterfeit": "suspected counterfeit",
    "logistics": "delivery",
    "not_as_described": "not as described",
    "after_sales": "after-sales service",
    "other": "other",
}
OUTCOME_EN = {
    "refund": "refund",
    "replacement": "replacement",
    "compensation": "compensation",
    "explanation": "explanation",
    "rejection": "rejected",
    "resolved": "settled between the parties",
    "upheld": "complaint upheld",
    "not_upheld": "complaint not upheld",
    "mediation_failed": "mediation ended without agreement",
    "withdrawn": "withdrawn",
}


OUTCOME_ZH = {
    "refund": "退款",
    "replacement": "换货",
    "compensation": "赔偿",
    "explanation": "解释说明",
    "rejection": "不予受理",
    "resolved": "已协商解决",
    "upheld": "投诉成立",
    "not_upheld": "投诉不成立",
    "mediation_failed": "调解终止",
    "withdrawn": "已撤回",
}


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _complaint_figures(
    session: Session, event: Event[ComplaintReceived | ComplaintAnswered | ComplaintOverdue | ComplaintClosed]
) -> list[Record]:
    """A merchant's complaint figures as one public record, recomputed from the cases themselves (so a
    retried or out-of-order event still shows the truth now)."""
    from complaints import service as complaints

    ent = enterprise_of(session, event.data.enterprise_id)
    f = complaints.merchant_figures(session, ent["id"])
    median = f["median_workdays_to_resolve"]
    fields = base_fields(
        session,
        ent,
        Category.complaint,
        event.created_at,
        event,
        title_zh=f"{ent['name_zh']} 消费投诉处理情况",
        title_en=f"{english_name(ent['name_en'], ent['name_zh'])}: consumer complaints handled",
        body_zh=(
            f"累计投诉 {f['complaints']} 件，办理中 {f['open']} 件，已办结 {f['closed']} 件；"
            f"答复率 {_rate(f['response_rate'])}，按时答复率 {_rate(f['on_time_rate'])}，"
            f"办结中位用时 {'—' if median is None else f'{median:g}'} 个工作日，投诉成立占比 {_rate(f['upheld_share'])}。"
        ),
        body_en=(
            f"{f['complaints']} complaints, {f['open']} open, {f['closed']} closed; response rate "
            f"{_rate(f['response_rate'])}, answered on time {_rate(f['on_time_rate'])}, median "
            f"{'-' if median is None else f'{median:g}'} working days to resolve, upheld {_rate(f['upheld_share'])}."
        ),
        fields=f,
    )
    return [(f"complaint:figures:{ent['id']}", fields)]


CaseEvent = Event[
    ComplaintPublished | ComplaintUnpublished | ComplaintAnswered | ComplaintClosed | ComplaintChanged
]


def _complaint_case(session: Session, event: CaseEvent) -> list[Record]:
    """A consented case, its narrative scrubbed of personal data; withdrawing consent ends it at once."""
    from complaints import service as complaints

    p = event.data
    key = f"complaint:case:{p.complaint_id}"
    case = complaints.public_case(session, p.complaint_id)
    if case is None:
        return _case_withdrawn(session, event, key)
    ent = enterprise_of(session, case["enterprise_id"])
    cat_zh = CATEGORY_ZH.get(case["category"], case["category"])
    answer_zh = (
        OUTCOME_ZH.get(case["merchant_outcome"], "尚未答复") if case["merchant_outcome"] else "尚未答复"
    )
    result_zh = OUTCOME_ZH.get(case["outcome"], "办理中") if case["outcome"] else "办理中"
    from complaints.schemas import PUBLIC_RESPONSES

    response = PUBLIC_RESPONSES.get(case["public_response"] or "", ("", ""))
    fields = base_fields(
        session,
        ent,
        Category.complaint,
        case["received_at"],
        event,
        title_zh=f"消费投诉（{cat_zh}）：{case['product_name_zh'] or '订单商品'}"[:300],
        title_en=f"Consumer complaint ({CATEGORY_EN.get(case['category'], case['category'])}): ticket {case['ticket_no']}"[
            :300
        ],
        body_zh=(
            f"{case['narrative']}\n企业答复：{answer_zh}"
            + (f"（{response[0]}）" if response[0] else "")
            + f"；处理结果：{result_zh}"
            + (f"；消费者评价 {case['rating']}/5" if case["rating"] else "")
            + "。"
        )[:4000],
        body_en=(
            f"Merchant's answer: {OUTCOME_EN.get(case['merchant_outcome'] or '', 'none yet')}"
            + (f" ({response[1]})" if response[1] else "")
            + f"; outcome: {OUTCOME_EN.get(case['outcome'] or '', 'open')}."
        ),
        fields={
            "ticket_no": case["ticket_no"],
            "complaint_category": case["category"],
            "status": case["status"],
            "merchant_outcome": case["merchant_outcome"],
            "public_response": case["public_response"],
            "outcome": case["outcome"],
            "rating": case["rating"],
        },
    )
    return [(key, fields)]


def _case_withdrawn(session: Session, event: CaseEvent, key: str) -> list[Record]:
    """A case no longer public (consent withdrawn): its record, if still published, ends now."""
    return [
        (
            key,
            {
                **{k: getattr(row, k) for k in service.CONTENT_FIELDS},
                "publish_until": event.created_at,
                "body_zh": "消费者已撤回公开同意。",
                "body_en": "The consumer withdrew consent to publish.",
            },
        )
        for row in service.by_keys_with_prefix(session, key, event.data.enterprise_id)
        if row.record_key == key
        and (row.publish_until is None or as_utc(row.publish_until) > event.created_at)
    ]


# The event and the builders of its records, in the order they are written (disclosure/handlers.py).
COMPLAINT_FIGURES: dict[str, tuple[Builder, ...]] = {
    "complaint.received": (_complaint_figures,),
    "complaint.answered": (_complaint_figures,),
    "complaint.overdue": (_complaint_figures,),
    "complaint.closed": (_complaint_figures,),
}
COMPLAINT_CASE: dict[str, tuple[Builder, ...]] = {
    "complaint.published": (_complaint_case,),
    "complaint.unpublished": (_complaint_case,),
    "complaint.answered": (_complaint_case,),
    "complaint.closed": (_complaint_case,),
    "complaint.changed": (_complaint_case,),
}
