"""How events of the other domains become disclosures. A new kind of event is one new handler here.

Each handler names the builders of its records (small functions that return each record's key and
fields) and hands them to one shared upsert, by record key, so an event delivered twice changes nothing the
second time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

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
from core.english import english_name, english_text
from core.events import Event, Handler, registry, subscribe
from core.identifiers import country_name
from core.money import Money
from core.workdays import CHINA_TZ
from credit import service as credit
from credit.events import CreditRecordChanged, GradeChanged
from disclosure import service
from disclosure.events import DisclosureChanged
from disclosure.models import PUBLICATION_WINDOWS, Category, Visibility
from disclosure.reads import Reads
from disclosure.search.base import SearchBackend
from enterprises.events import EnterpriseChanged, EnterpriseRegistered
from insurance import service as insurance
from insurance.events import ClaimPaid, PolicyChanged
from traceability.events import DeclarationChanged, DeclarationLinePayload, LotRecalled

STATUS_ZH = {"active": "存续", "suspended": "暂停经营", "deregistered": "注销"}
DECL_STATUS_ZH = {"declared": "已申报", "inspected": "已查验", "released": "已放行", "rejected": "不予放行"}


def _products(products: list[Any]) -> dict[str, list[str]]:
    """The brands and makers of a declaration's goods (its lines' products, or a recalled lot), so that
    a search by either finds its records."""
    out: dict[str, list[str]] = {"brands": [], "manufacturers": []}
    for product in products:
        for key, what in (("brand", "brands"), ("manufacturer", "manufacturers")):
            value = (getattr(product, key) or "").strip()
            if value and value not in out[what]:
                out[what].append(value)
    return out


def _enterprise(session: Session, enterprise_id: int) -> dict[str, Any]:
    return Reads.of(session).enterprise(enterprise_id)


def _base(
    session: Session, ent: dict[str, Any], category: Category, when: datetime, event: Event, **more: Any
) -> dict[str, Any]:
    window = PUBLICATION_WINDOWS.get(category)
    return {
        "publish_until": as_utc(when) + window if window else None,
        "category": category.value,
        "enterprise_id": ent["id"],
        "uscc": ent["uscc"],
        "enterprise_name": ent["name_zh"],
        "occurred_at": as_utc(when),
        "source_type": event.type,
        "visibility": Visibility.public.value,
        "grade": Reads.of(session).grade(ent["id"]),
        **more,
    }


Record = tuple[str, dict[str, Any]]  # a disclosure's record key and its fields
Builder = Callable[[Session, Event[Any]], list[Record]]


def _publish(session: Session, event: Event[Any], builders: tuple[Builder, ...]) -> list[Record]:
    """The one upsert of every handler: each builder's records in turn, so that a later builder reads
    what an earlier one wrote (the monthly totals sum the declaration's record). Returns the records."""
    written: list[Record] = []
    session.info[Reads.KEY] = Reads(session)
    try:
        for build in builders:
            for key, fields in build(session, event):
                service.upsert(session, key, fields, event.id)
                written.append((key, fields))
    finally:
        session.info.pop(Reads.KEY, None)
    return written


# --- enterprises -------------------------------------------------------------------------------------


def _entity(session: Session, event: Event[EnterpriseRegistered | EnterpriseChanged]) -> list[Record]:
    ent = _enterprise(session, event.data.enterprise_id)
    status = STATUS_ZH.get(ent["status"], ent["status"])
    fields = _base(
        session,
        ent,
        Category.entity,
        event.created_at,
        event,
        title_zh=f"企业登记信息：{ent['name_zh']}",
        title_en=f"Registration: {english_name(ent['name_en'], ent['name_zh'])}",
        body_zh=(
            f"统一社会信用代码 {ent['uscc']}；海关注册编码 {ent['customs_code'] or '无'}；"
            f"所在国家 {country_name(ent['country'])}；经营状态 {status}。"
        ),
        body_en=(
            f"Unified social credit code {ent['uscc']}; customs code {ent['customs_code'] or 'none'}; "
            f"country {country_name(ent['country'], 'en')}; status {ent['status']}."
        ),
        fields={"kind": ent["kind"], "status": ent["status"], "customs_code": ent["customs_code"]},
        origin_country=ent["country"],
    )
    return [(f"entity:{ent['id']}", fields)]


# --- declarations ------------------------------------------------------------------------------------


def _lines_text(lines: list[DeclarationLinePayload], lang: str) -> str:
    parts = []
    for ln in lines:
        name = ln.product.name_zh if lang == "zh" else english_name(ln.product.name_en, ln.product.name_zh)
        unit = "件" if lang == "zh" else "pcs"
        parts.append(
            f"{name}（{ln.lot}，{ln.quantity} {unit}）"
            if lang == "zh"
            else f"{name} (lot {ln.lot}, {ln.quantity} {unit})"
        )
    return ("；" if lang == "zh" else "; ").join(parts)


def _value(lines: list[DeclarationLinePayload]) -> tuple[int, str]:
    currencies = {ln.currency for ln in lines}
    currency = currencies.pop() if len(currencies) == 1 else "CNY"
    return sum(ln.unit_value_minor * ln.quantity for ln in lines if ln.currency == currency), currency


def _declared_at(d: DeclarationChanged) -> datetime:
    return datetime.combine(d.declared_on, time(), tzinfo=UTC)


def _declaration(session: Session, event: Event[DeclarationChanged]) -> list[Record]:
    """The declaration as operating information (regulators only: values are commercially sensitive)."""
    d = event.data
    ent = _enterprise(session, d.enterprise_id)
    lines = d.lines
    value, currency = _value(lines)
    first = lines[0].product
    status_zh = DECL_STATUS_ZH.get(d.status, d.status)
    fields = _base(
        session,
        ent,
        Category.operating,
        _declared_at(d),
        event,
        title_zh=f"进口申报 {d.declaration_no}（{status_zh}）",
        title_en=f"Import declaration {d.declaration_no} ({d.status})",
        body_zh=f"{ent['name_zh']} 经 {d.arrival_port} 申报进口：{_lines_text(lines, 'zh')}。申报货值 {Money(value, currency).format('zh_CN')}。",
        body_en=f"Declared through {d.arrival_port}: {_lines_text(lines, 'en')}. Declared value {Money(value, currency).format('en_US')}.",
        fields={
            "declaration_no": d.declaration_no,
            "status": d.status.value,
            "declared_value_minor": value,
            "currency": currency,
            "items": sum(ln.quantity for ln in lines),
            "lines": len(lines),
            "hs_codes": sorted({ln.product.hs_code for ln in lines}),
            **_products([ln.product for ln in lines]),
        },
        origin_country=first.origin_country,
        hs_code=first.hs_code,
        product_category=first.category.value,
        visibility=Visibility.regulator.value,
    )
    return [(f"operating:declaration:{d.id}", fields)]


def _monthly(session: Session, event: Event[DeclarationChanged]) -> list[Record]:
    """Public monthly totals per enterprise, summed from its declaration records of that month."""
    ent = _enterprise(session, event.data.enterprise_id)
    when = _declared_at(event.data)
    month = when.strftime("%Y-%m")
    records = [
        r
        for r in service.by_keys_with_prefix(session, "operating:declaration:", ent["id"])
        if as_utc(r.occurred_at).strftime("%Y-%m") == month and r.fields.get("status") != "rejected"
    ]
    value = sum(r.fields.get("declared_value_minor", 0) for r in records if r.fields.get("currency") == "CNY")
    items = sum(r.fields.get("items", 0) for r in records)
    lines = sum(r.fields.get("lines", 0) for r in records)
    fields = _base(
        session,
        ent,
        Category.operating,
        when.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
        event,
        title_zh=f"{ent['name_zh']} {month} 月度进口申报汇总",
        title_en=f"{english_name(ent['name_en'], ent['name_zh'])}: import declarations in {month}",
        body_zh=f"{month} 共申报 {len(records)} 票、{lines} 项、{items} 件，货值 {Money(value, 'CNY').format('zh_CN')}。",
        body_en=f"In {month}: {len(records)} declarations, {lines} lines, {items} items, declared value {Money(value, 'CNY').format('en_US')}.",
        fields={
            "month": month,
            "declarations": len(records),
            "lines": lines,
            "items": items,
            "declared_value_minor": value,
            "currency": "CNY",
        },
    )
    return [(f"operating:monthly:{ent['id']}:{month}", fields)]


def _inspection_failures(session: Session, event: Event[DeclarationChanged]) -> list[Record]:
    """Each line that failed inspection, as regulatory information."""
    d = event.data
    failed = [ln for ln in d.lines if ln.inspection_result == "fail"]
    if not failed:
        return []
    ent = _enterprise(session, d.enterprise_id)
    return [
        (f"regulatory:inspection:{d.id}:{ln.line_no}", _failure(session, ent, d, ln, event)) for ln in failed
    ]


def _failure(
    session: Session, ent: dict[str, Any], d: DeclarationChanged, ln: DeclarationLinePayload, event: Event
) -> dict[str, Any]:
    product = ln.product
    tests = "、".join(ln.tests_performed) or "—"
    return _base(
        session,
        ent,
        Category.regulatory,
        event.created_at,
        event,
        title_zh=f"检验不合格：{product.name_zh}（批次 {ln.lot}）",
        title_en=f"Failed inspection: {english_name(product.name_en, product.name_zh)} (lot {ln.lot})",
        body_zh=f"报关单 {d.declaration_no} 第 {ln.line_no} 项，检测项目：{tests}；检测报告 {ln.lab_report_ref or '—'}。",
        body_en=f"Declaration {d.declaration_no} line {ln.line_no}; tests: {', '.join(english_text(t) for t in ln.tests_performed) or '-'}; report {ln.lab_report_ref or '-'}.",
        fields={
            "declaration_no": d.declaration_no,
            "line_no": ln.line_no,
            "lot": ln.lot,
            "gtin": ln.gtin,
            "tests": list(ln.tests_performed),
            "lab_report_ref": ln.lab_report_ref,
            **_products([product]),
        },
        origin_country=product.origin_country,
        hs_code=product.hs_code,
        product_category=product.category.value,
    )


def _rejection(session: Session, event: Event[DeclarationChanged]) -> list[Record]:
    """A declaration not released, as regulatory information."""
    d = event.data
    ent = _enterprise(session, d.enterprise_id)
    lines = d.lines
    first = lines[0].product
    fields = _base(
        session,
        ent,
        Category.regulatory,
        event.created_at,
        event,
        title_zh=f"不予放行：进口申报 {d.declaration_no}",
        title_en=f"Not released: import declaration {d.declaration_no}",
        body_zh=f"原因：{d.decision_reason}。涉及商品：{_lines_text(lines, 'zh')}。",
        body_en=f"Reason: {english_text(d.decision_reason)}. Goods: {_lines_text(lines, 'en')}.",
        fields={
            "declaration_no": d.declaration_no,
            "reason": d.decision_reason,
            **_products([ln.product for ln in lines]),
        },
        origin_country=first.origin_country,
        hs_code=first.hs_code,
        product_category=first.category.value,
    )
    return [(f"regulatory:rejection:{d.id}", fields)]


# --- recalls -----------------------------------------------------------------------------------------


def _recall(session: Session, event: Event[LotRecalled]) -> list[Record]:
    p = event.data
    ent = _enterprise(session, p.enterprise_id)
    fields = _base(
        session,
        ent,
        Category.regulatory,
        event.created_at,
        event,
        title_zh=f"召回：{p.product_name_zh}（批次 {p.lot}）",
        title_en=f"Recall: lot {p.lot} of GTIN {p.gtin}",
        body_zh=f"原因：{p.reason}。报关单 {p.declaration_no}。",
        body_en=(
            f"{english_name(p.product_name_en, p.product_name_zh)}. "
            f"Reason: {english_text(p.reason)}. Declaration {p.declaration_no}."
        ),
        fields={
            "gtin": p.gtin,
            "lot": p.lot,
            "reason": p.reason,
            "recalled_by": p.recalled_by.value,
            **_products([p]),
        },
        origin_country=p.origin_country,
        hs_code=p.hs_code,
        product_category=p.product_category.value if p.product_category else None,
    )
    return [(f"regulatory:recall:{p.line_id}", fields)]


# --- credit ------------------------------------------------------------------------------------------

GRADE_LISTS = {"red": ("红名单", "red list"), "black": ("黑名单", "black list")}


def _credit_record(session: Session, event: Event[CreditRecordChanged]) -> list[Record]:
    """Each credit record, published while its window is open; a repair or an upheld objection ends
    the publication at once."""
    r = credit.record_snapshot(session, event.data.id)  # now, not as the (maybe retried) event saw it
    ent = _enterprise(session, r["enterprise_id"])
    kind = credit.kind_names(r["kind"])
    sev_zh = credit.SEVERITY_ZH.get(r["severity"], r["severity"])
    status_zh = credit.STATUS_ZH.get(r["status"], r["status"])
    fields = _base(
        session,
        ent,
        Category.reward_punishment,
        datetime.fromisoformat(r["occurred_at"]),
        event,
        title_zh=f"信用记录（{sev_zh}）：{r['title_zh']}"[:300],
        title_en=f"Credit record ({r['severity']}): {r['title_en'] or english_text(r['title_zh'])}"[:300],
        body_zh=f"{kind[0]}，信用记录 {r['id']}，状态：{status_zh}；依据 {r['evidence_ref'] or '—'}。",
        body_en=f"{kind[1]}, credit record {r['id']}, status {r['status']}; reference {english_text(r['evidence_ref']) or '-'}.",
        fields={
            "credit_record_id": r["id"],
            "kind": r["kind"],
            "severity": r["severity"],
            "status": r["status"],
        },
        publish_until=datetime.fromisoformat(r["publish_until"]),
    )
    return [(f"reward_punishment:credit_record:{r['id']}", fields)]


def _grade(session: Session, event: Event[GradeChanged]) -> list[Record]:
    """The enterprise's grade as a public record, with red and black lists."""
    ent = _enterprise(session, event.data.enterprise_id)
    current = credit.grade_of(session, ent["id"])  # a later change may have overtaken this event
    if current is None:
        return []
    listed = current["list"]
    lst = GRADE_LISTS.get(listed or "")
    reasons_zh = "；".join(f"{r['name_zh']} {r['points']:+g} 分" for r in current["reasons"]) or "无扣分记录"
    reasons_en = (
        "; ".join(f"{english_name(r['name_en'], r['name_zh'])} {r['points']:+g}" for r in current["reasons"])
        or "no deductions"
    )
    fields = _base(
        session,
        ent,
        Category.reward_punishment,
        datetime.fromisoformat(current["computed_at"]),
        event,
        title_zh=f"{ent['name_zh']} 信用等级 {current['grade']}（{current.get('grade_name_zh', '')}）"
        + (f"，列入{lst[0]}" if lst else ""),
        title_en=f"{english_name(ent['name_en'], ent['name_zh'])}: credit grade {current['grade']} "
        f"({current.get('grade_name_en', '')})" + (f", on the {lst[1]}" if lst else ""),
        body_zh=f"信用评分 {current['score']:g}/1000（评价方法 {current['methodology_version']}）。主要因素：{reasons_zh}。",
        body_en=f"Credit score {current['score']:g}/1000 (methodology {current['methodology_version']}). "
        f"Main reasons: {reasons_en}.",
        fields={
            "grade": current["grade"],
            "score": current["score"],
            "list": listed,
            "methodology_version": current["methodology_version"],
        },
    )
    return [(f"reward_punishment:grade:{ent['id']}", fields)]


# --- insurance ---------------------------------------------------------------------------------------


def _insurance_cover(session: Session, event: Event[PolicyChanged]) -> list[Record]:
    """The merchant's quality insurance as a public service record (服务信息): one record per merchant,
    showing the cover in force now; when none is left (lapsed, cancelled) its publication ends."""
    p = event.data
    ent = _enterprise(session, p.enterprise_id)
    key = f"service:insurance:{ent['id']}"
    now = event.created_at
    cover = insurance.enterprise_cover(session, ent["id"])  # now, not as the (maybe retried) event saw it
    if cover is None and event.type == "insurance.policy_activated":
        if as_utc(p.ends_at) <= now:
            return []
        cover = {  # bound to start later: published from its terms
            "policy_no": p.policy_no,
            "insurer": {
                "name_zh": (insurer := _enterprise(session, p.insurer_id))["name_zh"],
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
    fields = _base(
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
    return _base(
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
    ent = _enterprise(session, p.enterprise_id)
    amount = Money(p.amount_minor, p.currency)
    what = p.product_name_zh or "商品"
    advance = p.source == "complaint"
    fields = _base(
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


# --- complaints (投诉举报) ---------------------------------------------------------------------------

CATEGORY_ZH = {
    "quality": "质量问题",
    "counterfeit": "疑似假冒",
    "logistics": "物流",
    "not_as_described": "货不对板",
    "after_sales": "售后",
    "other": "其他",
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

    ent = _enterprise(session, event.data.enterprise_id)
    f = complaints.merchant_figures(session, ent["id"])
    median = f["median_workdays_to_resolve"]
    fields = _base(
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
    ent = _enterprise(session, case["enterprise_id"])
    cat_zh = CATEGORY_ZH.get(case["category"], case["category"])
    answer_zh = (
        OUTCOME_ZH.get(case["merchant_outcome"], "尚未答复") if case["merchant_outcome"] else "尚未答复"
    )
    result_zh = OUTCOME_ZH.get(case["outcome"], "办理中") if case["outcome"] else "办理中"
    from complaints.schemas import PUBLIC_RESPONSES

    response = PUBLIC_RESPONSES.get(case["public_response"] or "", ("", ""))
    fields = _base(
        session,
        ent,
        Category.complaint,
        case["received_at"],
        event,
        title_zh=f"消费投诉（{cat_zh}）：{case['product_name_zh'] or '订单商品'}"[:300],
        title_en=f"Consumer complaint ({case['category']}): ticket {case['ticket_no']}"[:300],
        body_zh=(
            f"{case['narrative']}\n企业答复：{answer_zh}"
            + (f"（{response[0]}）" if response[0] else "")
            + f"；处理结果：{result_zh}"
            + (f"；消费者评价 {case['rating']}/5" if case["rating"] else "")
            + "。"
        )[:4000],
        body_en=(
            f"Merchant's answer: {case['merchant_outcome'] or 'none yet'}"
            + (f" ({response[1]})" if response[1] else "")
            + f"; outcome: {case['outcome'] or 'open'}."
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


# --- the subscriptions ------------------------------------------------------------------------------
# Each subscriber's table: the event and the builders of its records, in the order they are written.

ENTITY: dict[str, tuple[Builder, ...]] = {
    "enterprise.registered": (_entity,),
    "enterprise.changed": (_entity,),
}
DECLARATION: dict[str, tuple[Builder, ...]] = {
    "declaration.declared": (_declaration, _monthly),
    "declaration.inspected": (_declaration, _monthly, _inspection_failures),
    "declaration.released": (_declaration, _monthly),
    "declaration.rejected": (_declaration, _monthly, _rejection),
}
INSURANCE_COVER: dict[str, tuple[Builder, ...]] = {
    "insurance.policy_activated": (_insurance_cover,),
    "insurance.policy_lapsed": (_insurance_cover,),
    "insurance.policy_cancelled": (_insurance_cover,),
}
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


@subscribe("enterprise.registered", "disclosure.entity.registered")
@subscribe("enterprise.changed", "disclosure.entity.changed")
def entity(session: Session, event: Event[EnterpriseRegistered | EnterpriseChanged]) -> None:
    _publish(session, event, ENTITY[event.type])


@subscribe("declaration.declared", "disclosure.operating.declared")
@subscribe("declaration.inspected", "disclosure.operating.inspected")
@subscribe("declaration.released", "disclosure.operating.released")
@subscribe("declaration.rejected", "disclosure.operating.rejected")
def operating(session: Session, event: Event[DeclarationChanged]) -> None:
    """A declaration as operating information and the enterprise's public monthly totals; a failed
    inspection or a rejection as regulatory information too."""
    _publish(session, event, DECLARATION[event.type])


@subscribe("lot.recalled", "disclosure.regulatory.recall")
def recall(session: Session, event: Event[LotRecalled]) -> None:
    _publish(session, event, (_recall,))


@subscribe("credit.record_changed", "disclosure.reward_punishment.record")
def credit_record(session: Session, event: Event[CreditRecordChanged]) -> None:
    _publish(session, event, (_credit_record,))


@subscribe("credit.grade_changed", "disclosure.reward_punishment.grade")
def credit_grade(session: Session, event: Event[GradeChanged]) -> None:
    """The enterprise's grade as a public record, and on all its records."""
    for _, fields in _publish(session, event, (_grade,)):
        service.set_enterprise_grade(session, fields["enterprise_id"], fields["fields"]["grade"])


@subscribe("insurance.policy_activated", "disclosure.service.insurance_activated")
@subscribe("insurance.policy_lapsed", "disclosure.service.insurance_lapsed")
@subscribe("insurance.policy_cancelled", "disclosure.service.insurance_cancelled")
def insurance_cover(session: Session, event: Event[PolicyChanged]) -> None:
    _publish(session, event, INSURANCE_COVER[event.type])


@subscribe("insurance.claim_paid", "disclosure.complaint.insurance_claim")
def insurance_claim(session: Session, event: Event[ClaimPaid]) -> None:
    _publish(session, event, (_insurance_claim,))


@subscribe("complaint.received", "disclosure.complaint.figures.received")
@subscribe("complaint.answered", "disclosure.complaint.figures.answered")
@subscribe("complaint.overdue", "disclosure.complaint.figures.overdue")
@subscribe("complaint.closed", "disclosure.complaint.figures.closed")
def complaint_figures(
    session: Session, event: Event[ComplaintReceived | ComplaintAnswered | ComplaintOverdue | ComplaintClosed]
) -> None:
    _publish(session, event, COMPLAINT_FIGURES[event.type])


@subscribe("complaint.published", "disclosure.complaint.case")
@subscribe("complaint.unpublished", "disclosure.complaint.case_withdrawn")
@subscribe("complaint.answered", "disclosure.complaint.case_answered")
@subscribe("complaint.closed", "disclosure.complaint.case_closed")
@subscribe("complaint.changed", "disclosure.complaint.case_changed")
def complaint_case(session: Session, event: CaseEvent) -> None:
    _publish(session, event, COMPLAINT_CASE[event.type])


# The indexer is the one subscriber that needs something a process builds: the search backend. It is
# not looked up in a module global (two apps in one process, as in the tests, each have their own index,
# and a global set by the last app built would index into the wrong one); it is constructed with the
# backend by whoever builds the Dispatcher (create_app, `crosstrust worker`, `crosstrust demo`), through
# `bound_handlers`. The subscription itself is declared here, at import, so that `emit` writes its
# deliveries whichever process delivers them.
INDEXER = "disclosure.indexer"
registry.declare("disclosure.changed", INDEXER)


class Indexer:
    """Keeps the search index in step; raising (search down) leaves the event for a retry."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend

    def __call__(self, session: Session, event: Event[DisclosureChanged]) -> None:
        changed = event.data
        row = service.get(session, changed.id)
        if row is None:
            self.backend.delete([changed.id])
            return
        if row.version != changed.version:
            return  # a later change has its own event
        self.backend.index([service.document(row)])


def bound_handlers(backend: SearchBackend) -> dict[str, Handler]:
    """The handlers of disclosure's declared subscribers, for a Dispatcher of a process with `backend`."""
    return {INDEXER: Indexer(backend)}
