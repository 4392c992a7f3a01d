"""The one glossary of words people read (zh first, then en): statuses, categories, wishes, reasons and
outcomes, plus the one money format and the one date format (China time) every page uses.

Pages never print an internal value: a template writes `{{ value | word('complaint_status') }}`, and a
value the glossary does not know is a bug the pages' tests catch (`missing()` lists what was asked for
and not found). Add a kind or an entry here, never a translation in a template or a route.
"""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal

from markupsafe import Markup, escape

from complaints.schemas import PUBLIC_RESPONSES
from traceability.verdict import VERDICT_LABELS

# kind -> value -> (zh, en)
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "admin": ("平台管理员", "Administrator"),
        "regulator": ("监管部门", "Regulator"),
        "merchant": ("跨境电商企业", "Merchant"),
        "insurer": ("保险机构", "Insurer"),
    },
    "enterprise_kind": {
        "merchant": ("跨境电商企业", "Merchant"),
        "insurer": ("保险机构", "Insurer"),
        "regulator": ("监管机构", "Regulator"),
    },
    "enterprise_status": {
        "active": ("正常", "Active"),
        "suspended": ("暂停", "Suspended"),
        "deregistered": ("注销", "Deregistered"),
    },
    "product_category": {
        "infant_formula": ("婴幼儿配方食品", "Infant formula"),
        "food": ("食品", "Food"),
        "health_supplement": ("保健食品", "Health supplement"),
        "cosmetics": ("化妆品", "Cosmetics"),
        "maternal_baby": ("母婴用品", "Mother and baby"),
        "other": ("其他", "Other"),
    },
    "declaration_status": {
        "declared": ("已申报", "Declared"),
        "inspected": ("已查验", "Inspected"),
        "released": ("已放行", "Released"),
        "rejected": ("不予放行", "Not released"),
    },
    "inspection_result": {
        "pass": ("合格", "Passed"),
        "fail": ("不合格", "Failed"),
    },
    "batch_status": {
        "running": ("生成中", "Running"),
        "done": ("已完成", "Done"),
        "failed": ("失败", "Failed"),
    },
    "code_status": {
        "active": ("有效", "Active"),
        "revoked": ("已作废", "Revoked"),
    },
    "disclosure_category": {
        "entity": ("主体信息", "Entity"),
        "operating": ("经营信息", "Operating"),
        "regulatory": ("监管信息", "Regulatory"),
        "service": ("服务信息", "Service"),
        "reward_punishment": ("奖惩信息", "Reward and punishment"),
        "complaint": ("投诉举报信息", "Complaints and reports"),
    },
    "visibility": {
        "public": ("公开", "Public"),
        "regulator": ("仅监管可见", "Regulators only"),
    },
    "complaint_category": {
        "quality": ("质量问题", "Quality"),
        "counterfeit": ("疑似假冒", "Suspected counterfeit"),
        "logistics": ("物流问题", "Delivery"),
        "not_as_described": ("货不对板", "Not as described"),
        "after_sales": ("售后问题", "After-sales"),
        "other": ("其他", "Other"),
    },
    "wanted": {
        "refund": ("退款", "Refund"),
        "replacement": ("换货", "Replacement"),
        "compensation": ("赔偿", "Compensation"),
        "explanation": ("说明情况", "Explanation"),
        "apology": ("道歉", "Apology"),
    },
    "complaint_status": {
        "received": ("待商家处理", "Waiting for the merchant"),
        "answered": ("商家已答复", "Answered by the merchant"),
        "waiting_consumer": ("待消费者补充", "Waiting for the consumer"),
        "mediation": ("监管调解中", "In mediation"),
        "compensation_due": ("先行赔付中", "Advance compensation under way"),
        "closed": ("已办结", "Closed"),
    },
    "merchant_outcome": {
        "refund": ("退款", "Refund"),
        "replacement": ("换货", "Replacement"),
        "compensation": ("赔偿", "Compensation"),
        "explanation": ("说明情况", "Explanation"),
        "rejection": ("不予支持（附理由）", "Rejected with a reason"),
    },
    "close_outcome": {
        "resolved": ("双方和解", "Settled"),
        "upheld": ("投诉成立", "Upheld"),
        "not_upheld": ("投诉不成立", "Not upheld"),
        "mediation_failed": ("调解终止", "Mediation ended without agreement"),
        "withdrawn": ("消费者撤回", "Withdrawn"),
    },
    "severity": {
        "minor": ("轻微", "Minor"),
        "general": ("一般", "General"),
        "serious": ("严重", "Serious"),
    },
    "record_status": {
        "active": ("有效", "In force"),
        "under_review": ("异议处理中", "Objection under review"),
        "repaired": ("已修复", "Repaired"),
        "withdrawn": ("已撤销", "Withdrawn"),
    },
    "application_status": {
        "pending": ("待审核", "Pending"),
        "approved": ("已批准", "Approved"),
        "rejected": ("已驳回", "Rejected"),
    },
    "grade": {
        "A": ("A 级（诚信）", "Grade A (trustworthy)"),
        "B": ("B 级（良好）", "Grade B (good)"),
        "C": ("C 级（关注）", "Grade C (watched)"),
        "D": ("D 级（失信）", "Grade D (dishonest)"),
    },
    "policy_status": {
        "quoted": ("已报价", "Quoted"),
        "active": ("生效", "In force"),
        "suspended": ("暂停承保", "Suspended"),
        "expired": ("已到期", "Expired"),
        "cancelled": ("已退保", "Cancelled"),
    },
    "claim_status": {
        "submitted": ("已提交", "Submitted"),
        "under_review": ("审核中", "Under review"),
        "approved": ("已核准", "Approved"),
        "rejected": ("已拒赔", "Refused"),
        "paid": ("已赔付", "Paid"),
    },
    "claim_reject_reason": {
        "not_covered": ("不在承保范围", "Not covered"),
        "counterfeit": ("非本平台正品", "Not a genuine item of this platform"),
        "revoked": ("商品码已作废", "The code was revoked"),
        "foreign_code": ("商品码不属于该保单", "The code is not under this policy"),
        "outside_window": ("超出理赔期限", "Outside the claim window"),
        "over_unit_limit": ("超出单件赔付限额", "Over the per-item limit"),
        "aggregate_exhausted": ("保单累计限额已用尽", "The policy's limit is used up"),
        "already_claimed": ("该商品已理赔", "This item was already paid"),
        "no_defect": ("未确认质量缺陷", "No defect confirmed"),
    },
    # The public portal's words (api/pages/portal.py).
    "credit_list": {
        "red": ("红名单（守信激励）", "Red list (trustworthy)"),
        "black": ("黑名单（失信惩戒）", "Black list (dishonest)"),
    },
    "search_facet": {
        "category": ("信息类别", "Category"),
        "origin_country": ("原产国", "Country of origin"),
        "product_category": ("商品类别", "Product category"),
        "grade": ("信用等级", "Credit grade"),
        "uscc": ("企业", "Enterprise"),
        "enterprise_id": ("企业", "Enterprise"),
        "hs_prefix": ("HS 编码", "HS code"),
    },
    "zone_figure": {
        "declarations": ("申报单量", "Declarations"),
        "declared_value_minor": ("申报货值", "Declared value"),
        "codes_issued": ("赋码数量", "Codes issued"),
        "scans": ("扫码次数", "Scans"),
        "complaints_received": ("受理投诉", "Complaints received"),
        "complaints_answered_on_time": ("按时答复", "Answered on time"),
        "complaints_closed": ("办结投诉", "Complaints closed"),
        "complaints_closed_on_time": ("按时办结", "Closed on time"),
        "compensation_paid_minor": ("赔付金额", "Compensation paid"),
        "units_released": ("放行件数", "Units released"),
        "units_insured": ("投保件数", "Units insured"),
    },
    "interval": {
        "day": ("按日", "By day"),
        "week": ("按周", "By week"),
        "month": ("按月", "By month"),
    },
}
# Kept where the domains define them (one list each), read into the glossary, not copied.
WORDS["scan_verdict"] = dict(VERDICT_LABELS)
WORDS["public_response"] = dict(PUBLIC_RESPONSES)

log = logging.getLogger("crosstrust.glossary")


def pair(value: object, kind: str) -> tuple[str, str]:
    """(zh, en) for a value; an unknown value is logged as a warning (the pages' tests fail on it) and
    shown as a dash, never as the internal value."""
    if value is None or value == "":
        return ("—", "—")
    key = getattr(value, "value", value)
    found = WORDS.get(kind, {}).get(str(key))
    if found is None:
        log.warning("glossary has no word for %s=%r", kind, key)
        return ("—", "—")
    return found


def word(value: object, kind: str) -> str:
    """The words for a value, Chinese first then English: "已放行 Released"."""
    zh, en = pair(value, kind)
    return zh if zh == en else f"{zh} {en}"


def zh(value: object, kind: str) -> str:
    return pair(value, kind)[0]


def en(value: object, kind: str) -> str:
    return pair(value, kind)[1]


SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}
# Minor units per major unit where it is not 100 (ISO 4217).
_EXPONENT = {"JPY": 0, "KRW": 0}


def money(amount_minor: int | None, currency: str = "CNY") -> Markup:
    """The one money format: "¥5,000.00", kept on one line (a no-break span), never a float."""
    if amount_minor is None:
        return Markup("—")
    exponent = _EXPONENT.get(currency, 2)
    major = Decimal(int(amount_minor)).scaleb(-exponent)
    text = f"{SYMBOLS.get(currency, currency + ' ')}{major:,.{exponent}f}"
    return Markup('<span class="nowrap">{}</span>').format(escape(text))


def _china(value: str | datetime | date | None) -> datetime | date | None:
    from core.workdays import CHINA_TZ

    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:  # stored naive values are UTC
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        return value.astimezone(CHINA_TZ)
    return value


def cn_date(value: str | datetime | date | None) -> str:
    """The one date format, in China time: 2026-12-06."""
    found = _china(value)
    return found.strftime("%Y-%m-%d") if found is not None else "—"


def cn_time(value: str | datetime | date | None) -> str:
    """The one time format, in China time: 2026-12-06 14:05."""
    found = _china(value)
    if found is None:
        return "—"
    if not isinstance(found, datetime):
        return found.strftime("%Y-%m-%d")
    return found.strftime("%Y-%m-%d %H:%M")


def install(env: object) -> None:
    """Register the filters on a Jinja2 environment: `word`, `zh`, `en`, `money`, `cn_date`, `cn_time`."""
    filters = env.filters  # type: ignore[attr-defined]
    filters["word"] = word
    filters["zh"] = zh
    filters["en"] = en
    filters["money"] = money
    filters["cn_date"] = cn_date
    filters["cn_time"] = cn_time
