"""The one glossary of words people read (zh first, then en): statuses, categories, wishes, reasons and
outcomes, plus the one money format and the one date format (China time) every page uses.

Pages never print an internal value: a template writes `{{ value | word('complaint_status') }}`, and a
value the glossary does not know is a bug the pages' tests catch (`missing()` lists what was asked for
and not found). Add a kind or an entry here, never a translation in a template or a route.
"""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from decimal import Decimal

from jinja2 import Environment
from markupsafe import Markup, escape

from api.pages.trust_words import TRUST_WORDS
from complaints.schemas import PUBLIC_RESPONSES
from credit.social_words import SOCIAL_WORDS
from intake.quality_words import QUALITY_WORDS
from intake.words import INTAKE_WORDS
from traceability.digsig import SIGNING_WORDS
from traceability.verdict import VERDICT_LABELS
from translog.words import TLOG_WORDS

# kind -> value -> (zh, en)
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "admin": ("平台管理员", "Administrator"),
        "regulator": ("监管部门", "Regulator"),
        "merchant": ("跨境电商企业", "Merchant"),
        "insurer": ("保险机构", "Insurer"),
        "bank": ("银行", "Bank"),
    },
    "enterprise_kind": {
        "merchant": ("跨境电商企业", "Merchant"),
        "insurer": ("保险机构", "Insurer"),
        "bank": ("银行", "Bank"),
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
        # Not a stored status: the tracking page's word for a case the insurer has paid, not yet closed.
        "compensation_paid": (
            "保险公司已先行赔付，等待结案",
            "Paid first by the insurer; the case is being closed",
        ),
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
    "objection_status": {
        "open": ("审核中", "Under review"),
        "upheld": ("异议成立", "Upheld"),
        "dismissed": ("已驳回", "Dismissed"),
    },
    "rejection_reason": {
        "not_our_product": ("非本店商品", "Not our product"),
        "outside_warranty": ("超出保修期", "Outside the warranty"),
        "misuse": ("使用不当", "Misuse"),
        "no_evidence": ("证据不足", "Not enough evidence"),
        "duplicate": ("重复投诉", "Duplicate complaint"),
        "already_resolved": ("已解决", "Already resolved"),
        "other": ("其他", "Other"),
    },
    "author": {
        "consumer": ("消费者", "Consumer"),
        "merchant": ("商家", "Merchant"),
        "regulator": ("监管部门", "Regulator"),
        "admin": ("平台管理员", "Administrator"),
        "insurer": ("保险机构", "Insurer"),
        "system": ("系统", "System"),
    },
    "message_kind": {
        "repeat": ("再次投诉", "Complained again"),
        "answer": ("商家答复", "The merchant's answer"),
        "accepted": ("接受答复", "Accepted the answer"),
        "disputed": ("不满意，申请调解", "Disputed, asked for mediation"),
        "reply": ("补充说明", "Added information"),
        "reopened": ("重新打开", "Reopened"),
        "question": ("监管部门提问", "A question from the regulator"),
        "finding": ("调查结论", "Finding"),
        "paid": ("已先行赔付", "Advance compensation paid"),
        "closed": ("结案", "Closed"),
        "transfer_in": ("转入本地处理", "Transferred here"),
    },
    "transport_doc_type": {
        "bill_of_lading": ("海运提单", "Bill of lading"),
        "air_waybill": ("航空运单", "Air waybill"),
    },
    "yes_no": {
        "True": ("是", "Yes"),
        "False": ("否", "No"),
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
        "fraud_suspected": ("涉嫌欺诈", "Suspected fraud"),
        "other": ("其他原因", "Other reason"),
    },
    # The complaint desk (console) and the insurer's desk.
    "escalation_reason": {
        "overdue": ("商家超期未答复", "The merchant missed its deadline"),
        "disputed": ("消费者不认可答复", "The consumer disputed the answer"),
        "reopened": ("消费者重新投诉", "The consumer reopened the case"),
        "regulator": ("监管部门主动调解", "Taken into mediation by the regulator"),
    },
    "message_author": {
        "consumer": ("消费者", "Consumer"),
        "merchant": ("商家", "Merchant"),
        "regulator": ("监管部门", "Regulator"),
        "system": ("系统", "System"),
    },
    "complaint_step": {
        "repeat": ("重复投诉（已合并）", "A repeat, joined to this case"),
        "answer:refund": ("商家答复：退款", "Merchant's answer: refund"),
        "answer:replacement": ("商家答复：换货", "Merchant's answer: replacement"),
        "answer:compensation": ("商家答复：赔偿", "Merchant's answer: compensation"),
        "answer:explanation": ("商家答复：说明情况", "Merchant's answer: explanation"),
        "answer:rejection": ("商家答复：不予支持", "Merchant's answer: rejected"),
        "accepted": ("消费者接受答复", "The consumer accepted the answer"),
        "disputed": ("消费者不认可答复", "The consumer disputed the answer"),
        "reply": ("消费者补充", "The consumer's reply"),
        "reopened": ("消费者重新投诉", "The consumer reopened the case"),
        "question": ("监管部门询问消费者", "The regulator asked the consumer"),
        "escalated": ("转入监管调解", "Taken into mediation"),
        "finding": ("调解结论", "Mediation finding"),
        "paid": ("先行赔付已支付", "Advance compensation paid"),
        "closed": ("办结", "Closed"),
        "transfer_in": ("外地移送接收", "Received from another agency"),
    },
    "complaint_rejection_reason": {
        "not_our_product": ("非本企业商品", "Not our product"),
        "outside_warranty": ("超出保修期", "Outside the warranty"),
        "misuse": ("使用不当", "Misuse"),
        "no_evidence": ("缺乏证据", "No evidence"),
        "duplicate": ("重复投诉", "Duplicate"),
        "already_resolved": ("已经解决", "Already resolved"),
        "other": ("其他原因", "Other reason"),
    },
    "transfer_direction": {
        "out": ("移送外地", "Sent to another agency"),
        "in": ("外地移送来", "Received from another agency"),
    },
    "claim_source": {
        "complaint": ("投诉先行赔付", "Advance compensation on a complaint"),
        "consumer": ("消费者申请", "The consumer's own claim"),
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
    "search_total": {  # before the count: "超过 10,000 条" / "More than 10,000 records"
        "eq": ("共", "In all"),
        "gte": ("超过", "More than"),
    },
    "interval": {
        "day": ("按日", "By day"),
        "week": ("按周", "By week"),
        "month": ("按月", "By month"),
    },
}
# Kept where the domains define them (one list each), read into the glossary, not copied.
WORDS["scan_verdict"] = dict(VERDICT_LABELS)
WORDS.update({kind: dict(labels) for kind, labels in SIGNING_WORDS.items()})
WORDS["public_response"] = dict(PUBLIC_RESPONSES)
WORDS.update(TLOG_WORDS | SOCIAL_WORDS | INTAKE_WORDS | QUALITY_WORDS)
WORDS.update({kind: WORDS.get(kind, {}) | words for kind, words in TRUST_WORDS.items()})


def _ports() -> dict[str, tuple[str, str]]:
    from traceability.schemas import PORT_NAMES

    return dict(PORT_NAMES)


WORDS["port"] = _ports()

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


def money(amount_minor: int | None, currency: str = "CNY") -> Markup:
    """The one money format: "¥5,000.00", kept on one line (a no-break span), never a float."""
    if amount_minor is None:
        return Markup("—")
    from core.money import MoneyError, currency_exponent

    try:
        exponent = currency_exponent(currency)  # ISO 4217's minor units, as the amounts were stored
    except MoneyError:
        exponent = 2
    major = Decimal(int(amount_minor)).scaleb(-exponent)
    text = f"{SYMBOLS.get(currency, currency + ' ')}{major:,.{exponent}f}"
    return Markup('<span class="nowrap">{}</span>').format(escape(text))


def nowrap(text: object) -> Markup:
    """Text kept on one line (a date, a number): a no-break span."""
    return Markup('<span class="nowrap">{}</span>').format(text)


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


# --- messages on forms: Chinese first, English beside it -------------------------------------------

# A validation error's kind (pydantic's `type`) as Chinese; the English is pydantic's own message.
_ERROR_ZH: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不对",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "date_parsing": "应为日期，如 2026-12-06",
    "date_from_datetime_parsing": "应为日期，如 2026-12-06",
    "datetime_parsing": "应为日期和时间",
    "literal_error": "请从给出的选项中选择",
    "enum": "请从给出的选项中选择",
    "extra_forbidden": "不是本表单的字段",
    "url_parsing": "应为网址",
}

# The domains' own reasons (English, as the API's problem documents give them), in Chinese.
_REASON_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), zh)
    for p, zh in (
        (r"^a customs declaration number \(报关单号\) has 18 digits$", "报关单号应为 18 位数字"),
        (r"^China's HS code \(海关商品编码\) has 10 digits$", "海关商品编码应为 10 位数字"),
        (r"^HS chapter (\w+) does not exist$", "海关商品编码第 {0} 章不存在"),
        (r"^the arrival port is a Chinese UN/LOCODE", "进境口岸应为中国口岸代码，如 CNNGB（宁波）"),
        (r"^must be after the production date$", "应晚于生产日期"),
        (r"^a GTIN has only digits$", "商品条码（GTIN）只含数字"),
        (
            r"^a GTIN has 8, 12, 13 or 14 digits, not (\d+)$",
            "商品条码（GTIN）应为 8、12、13 或 14 位，不是 {0} 位",
        ),
        (r"^check digit is (\d) but should be (\d)$", "校验位是 {0}，应为 {1}：请逐位核对"),
        (r"^a lot number is required$", "请填写批号"),
        (r"^at most (\d+) characters \(GS1 AI 10\)", "批号最多 {0} 个字符"),
        (r"^only GS1 character set 82", "只能使用字母、数字和常用符号"),
        (r"^must be a string of 18 characters$", "应为 18 位"),
        (r"^must be 18 characters, got (\d+)$", "统一社会信用代码应为 18 位，现为 {0} 位"),
        (r"^character 1 must be a registration-authority code", "统一社会信用代码的格式不对"),
        (
            r"^check character is '(\w)' but should be '(\w)' \(GB 32100\)$",
            "校验位是 {0}，应为 {1}（GB 32100）",
        ),
        (r"^'(\w*)' is not an ISO 3166-1 alpha-2 country code$", "“{0}”不是两位国家代码（如 NZ）"),
        (r"^a customs registration code", "海关注册编码为 10 位数字或大写字母"),
        (r"^give the trace code, or an order number", "请填写商品追溯码，或订单号及商家的统一社会信用代码"),
        (r"^(amount_minor: )?a compensation needs an amount", "赔偿须填写金额"),
        (r"^(rejection_reason: )?a rejection needs a reason", "不予支持须选择理由"),
        (r"^an amount in yuan with at most two decimals", "金额以元为单位，最多两位小数，如 168.00"),
        (r"^an amount in yuan, such as ([\d.]+)$", "金额以元为单位，如 {0}"),
        (r"^a tracking code is 20 to 64 characters$", "查询码为 20 到 64 个字符"),
        (
            r"^send exactly one of: declaration_id",
            "请只选一种出区方式：商品行、批次（商品条码与批号）或单品码",
        ),
        (r"^a line is named by its declaration", "商品行须同时给出报关单与行号"),
        (r"^a lot is named by its gtin and its lot$", "批次须同时给出商品条码与批号"),
        (r"^name at least one code$", "请至少填写一个单品码"),
        (r"^a whole number$", "应为整数"),
        (r"^the quote has expired; ask for a new one$", "报价已过期，请重新询价"),
        (
            r"^the merchant already has policy (\w+) in force",
            "贵司的保单 {0} 在此期间仍然有效，同一期间不能再投保",
        ),
        (
            r"^the merchant's credit grade changed from (\w) to (\w)",
            "询价后信用等级由 {0} 级变为 {1} 级，请重新询价",
        ),
        (r"^the merchant has no credit grade yet", "贵司尚无信用等级，保费按等级计算"),
        (r"^(candidates: )?no declaration is waiting for inspection", "没有待查验的报关单，无法抽取"),
    )
]


def reason(text: str, error_type: str = "", ctx: dict | None = None) -> str:
    """A message a form shows, Chinese first with the English beside it: from a validation error's type
    (with its limits), or from a domain's English reason. A reason already in Chinese is left alone."""
    text = str(text).removeprefix("Value error, ")
    if re.search(r"[\u4e00-\u9fff]", text) and not any(p.search(text) for p, _ in _REASON_ZH):
        return text
    for pattern, zh_text in _REASON_ZH:
        m = pattern.search(text)
        if m:
            return f"{zh_text.format(*[g for g in m.groups() if g is not None and not g.endswith(': ')])} · {text}"
    template = _ERROR_ZH.get(error_type)
    if template is not None:
        try:
            return f"{template.format(**(ctx or {}))} · {text}"
        except (KeyError, IndexError):
            return f"{template.split('{')[0].strip() or '格式不对'} · {text}"
    return text


# The forms' fields as a person reads them in an error summary (the field's own label on the form).
FIELDS: dict[str, tuple[str, str]] = {
    "declaration_no": ("报关单号", "Declaration no."),
    "transport_doc_type": ("运输单证", "Transport document"),
    "transport_doc_no": ("提单/运单号", "Document no."),
    "arrival_port": ("进境口岸", "Port of arrival"),
    "bonded_warehouse": ("保税仓", "Bonded warehouse"),
    "declared_on": ("申报日期", "Declared on"),
    "lines": ("商品行", "Lines"),
    "product_id": ("商品", "Product"),
    "lot": ("批号", "Lot"),
    "quantity": ("数量", "Quantity"),
    "production_date": ("生产日期", "Produced on"),
    "expiry_date": ("保质期至", "Expires on"),
    "unit_value": ("单价", "Unit value"),
    "gtin": ("商品条码", "GTIN"),
    "hs_code": ("海关商品编码", "HS code"),
    "name_zh": ("中文名称", "Name (Chinese)"),
    "name_en": ("英文名称", "Name (English)"),
    "brand": ("品牌", "Brand"),
    "manufacturer": ("生产企业", "Manufacturer"),
    "origin_country": ("原产国", "Origin country"),
    "category": ("类别", "Category"),
    "shelf_life_days": ("保质期（天）", "Shelf life (days)"),
    "code": ("商品追溯码", "Trace code"),
    "wanted": ("诉求", "What you ask for"),
    "narrative": ("问题描述", "What happened"),
    "contact": ("联系方式", "Contact"),
    "evidence": ("照片", "Photos"),
    "codes": ("单品码", "Codes"),
    "declaration_id": ("报关单", "Declaration"),
    "line_no": ("行号", "Line"),
    "body": ("出区方式", "What to ship"),
    "idempotency_key": ("表单", "Form"),
    "form": ("表单", "Form"),
}


def field_label(field: str) -> str:
    """A form field's name in an error summary: "第 2 行 批号 Line 2 lot", never "lines.1.lot"."""
    parts = str(field).split(".")
    if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
        z, e = FIELDS.get(parts[2], (parts[2], parts[2]))
        n = int(parts[1]) + 1
        return f"第 {n} 行 {z} · Line {n} {e}"
    z, e = FIELDS.get(str(field), (str(field), str(field)))
    return z if z == e else f"{z} {e}"


def trail(kind: str) -> str:
    """A complaint message's kind: "answer:rejection" is the merchant's answer and its outcome."""
    head, _, outcome = str(kind).partition(":")
    if head == "answer" and outcome:
        z, e = pair(outcome, "merchant_outcome")
        return f"商家答复：{z} Answer: {e}"
    return word(head, "message_kind")


def actor(value: str | None) -> str:
    """Who acted, as the audit names them ("regulator:e65cb549", "system:demo"): the role in words, the
    key's prefix beside it."""
    if not value:
        return "—"
    role, _, ref = str(value).partition(":")
    words = word(role, "author")
    return f"{words} ({ref})" if ref else words


def install(env: Environment) -> None:
    """Register the filters on a Jinja2 environment: `word`, `zh`, `en`, `money`, `cn_date`, `cn_time`."""
    filters = env.filters
    filters["word"] = word
    filters["zh"] = zh
    filters["en"] = en
    filters["money"] = money
    filters["cn_date"] = cn_date
    filters["cn_time"] = cn_time
    filters["trail"] = trail
    filters["reason"] = reason
    filters["nowrap"] = nowrap
    filters["field_label"] = field_label
    filters["actor"] = actor
