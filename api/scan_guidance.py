"""What a consumer should do after a scan, by verdict: the steps, whom to contact and where to claim or
report. Assembled in `api` because it spans domains (the verdict, the importer, the complaint intake).

A genuine item needs no guidance (None). Every other verdict says what it means for the person holding
the item; a counterfeit is reported to market supervision (12315), since the platform's complaint intake
takes only codes it issued."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import quote

from core.agencies import AGENCIES, DEFAULT_REGION

# China's market-supervision complaint hotline and platform (全国12315平台).
HOTLINE = "12315"
HOTLINE_SITE = "https://www.12315.cn/"


def _step(code: str, zh: str, en: str) -> dict[str, str]:
    return {"code": code, "zh": zh, "en": en}


def _link(rel: str, href: str, zh: str, en: str) -> dict[str, str]:
    return {"rel": rel, "href": href, "zh": zh, "en": en}


def complaint_href(resolver_base: str, code_uri: str) -> str:
    """The complaint form for this code (the intake routes it to the importer, with legal deadlines)."""
    return f"{resolver_base.rstrip('/')}/complaints/new?code={quote(code_uri, safe='')}"


def _importer(card: dict[str, Any] | None) -> tuple[str, str]:
    if not card:
        return "进口企业", "the importer"
    return card["name_zh"], card.get("name_en") or card["name_zh"]


def _hotline_links() -> list[dict[str, str]]:
    agency = AGENCIES[DEFAULT_REGION]
    return [
        _link(
            "hotline",
            f"tel:{HOTLINE}",
            f"拨打 {HOTLINE} 市场监管投诉举报热线",
            f"Call {HOTLINE}, the market-supervision hotline",
        ),
        _link(
            "report",
            HOTLINE_SITE,
            f"在全国12315平台举报（受理机关：{agency}）",
            "Report it on the national 12315 platform (agency: Ningbo Beilun / bonded zone market supervision)",
        ),
    ]


def _retype(typed: dict[str, str]) -> dict[str, str]:
    return _step(
        "check_typing",
        "您输入的代码没有通过校验，多半是输错了一个字符：请对照标签逐字核对后重新输入。"
        "容易混淆的字符：数字 0 与字母 O、数字 1 与字母 I 或 L、数字 5 与字母 S、数字 2 与字母 Z、"
        "数字 8 与字母 B。",
        "The code you typed fails its check, most likely one character is mistyped: compare it with "
        "the label character by character and type it again. Look-alikes: 0 and O, 1 and I or L, 5 and "
        "S, 2 and Z, 8 and B.",
    )


def _retype_link(typed: dict[str, str]) -> dict[str, str]:
    from urllib.parse import urlencode

    return _link("retype", "/code?" + urlencode(typed) + "#typed", "重新输入", "Type it again")


class _Scan(NamedTuple):
    """What a verdict's guidance is built from."""

    name_zh: str
    name_en: str
    complain: dict[str, str]
    evidence_codes: list[str]


def _recalled(scan: _Scan) -> dict[str, Any]:
    return {
        "steps": [
            _step("stop_using", "请立即停止使用或食用该商品。", "Stop using (or eating) this item now."),
            _step(
                "return_refund",
                "保留商品、包装和购买凭证，向购买的店铺或平台申请退货退款；召回产生的退货费用由进口企业承担。",
                "Keep the item, its packaging and your receipt, and ask the shop or platform you bought it "
                "from to take it back and refund you: the importer bears the costs of a recall.",
            ),
            _step(
                "contact",
                f"召回企业：{scan.name_zh}。商家未处理的，可通过下方投诉或拨打 {HOTLINE}。",
                f"Recalled by {scan.name_en}. If the seller does not help, complain below or call {HOTLINE}.",
            ),
        ],
        "links": [scan.complain, *_hotline_links()],
    }


def _counterfeit(scan: _Scan) -> dict[str, Any]:
    steps = [
        _step(
            "not_issued",
            "此码不是本平台签发的，平台无法证明这件商品的来源，请在核实前不要使用或食用。",
            "This code was not issued here: nothing vouches for where this item came from. Do not use "
            "or eat it until it is checked.",
        ),
    ]
    if "check_failed" in scan.evidence_codes:
        steps.append(
            _step(
                "check_typing",
                "如果是手动输入的代码，请对照标签逐字核对（数字 0 与字母 O、数字 1 与字母 I/L 容易混淆）。",
                "If you typed the code by hand, check it against the label character by character "
                "(0 and O, 1 and I or L are easily confused).",
            )
        )
    steps += [
        _step(
            "keep_evidence",
            "保留商品、包装、购买凭证和订单号，向卖家或平台要求退款。",
            "Keep the item, its packaging, the receipt and the order number, and ask the seller or "
            "platform for a refund.",
        ),
        _step(
            "report",
            f"向市场监管部门举报：拨打 {HOTLINE} 或在全国12315平台提交。",
            f"Report it to market supervision: call {HOTLINE} or use the national 12315 platform.",
        ),
    ]
    return {"steps": steps, "links": _hotline_links()}


def _revoked(scan: _Scan) -> dict[str, Any]:
    return {
        "steps": [
            _step(
                "contact_seller",
                f"该码已被 {scan.name_zh} 作废，请向卖家核实这件商品；有疑问可投诉。",
                f"{scan.name_en} revoked this code: ask the seller about this item, and complain if in doubt.",
            )
        ],
        "links": [scan.complain],
    }


def _suspicious(scan: _Scan) -> dict[str, Any]:
    return {
        "steps": [
            _step(
                "check",
                "核对包装、标签和购买渠道；向卖家核实。怀疑买到假货的，请投诉或拨打 12315。",
                "Check the packaging, the label and where you bought it, and ask the seller. If you "
                f"suspect a fake, complain or call {HOTLINE}.",
            )
        ],
        "links": [scan.complain, *_hotline_links()],
    }


def _not_shipped(scan: _Scan) -> dict[str, Any]:
    return {
        "steps": [
            _step(
                "not_shipped",
                f"这件商品的码已签发，但 {scan.name_zh} 尚未登记出区发货。若您已收到商品，请向卖家核实；"
                "商家登记出区后，扫码结果会更新。",
                f"This item's code was issued, but {scan.name_en} has not yet recorded shipping it out of "
                "the bonded warehouse. If you already have it, ask the seller; the scan updates once "
                "the shipment is recorded.",
            )
        ],
        "links": [scan.complain],
    }


def _unverified(scan: _Scan) -> dict[str, Any]:
    return {
        "steps": [
            _step(
                "scan_item_code",
                "此码只标识商品或批次，不能验证单件商品。请扫描商品上带序列号 (21) 的单品二维码。",
                "This code names a product or a lot, not one item: scan the item's own code, the one "
                "with a serial (21).",
            )
        ],
        "links": [],
    }


# The guidance of each verdict that has any (a genuine item has none).
_BUILDERS: dict[str, Callable[[_Scan], dict[str, Any]]] = {
    "recalled": _recalled,
    "counterfeit": _counterfeit,
    "revoked": _revoked,
    "suspicious": _suspicious,
    "not_shipped": _not_shipped,
    "unverified": _unverified,
}


def _not_registered(typed: dict[str, str] | None) -> dict[str, Any]:
    """A GTIN no one registered here: nothing to check, which does not make the item a fake."""
    return {
        "steps": [
            _step(
                "not_registered",
                "这个商品条码没有在本平台登记，本平台无法核实这件商品（这不等于它是假货）。请核对商品条码；"
                "或向卖家询问该商品的溯源方式。",
                "This product number is not registered on this platform, so it cannot be checked here "
                "(which does not make it a fake). Check the product number, or ask the seller how the "
                "item can be traced.",
            ),
            *([_retype(typed)] if typed is not None else []),
        ],
        "links": [] if typed is None else [_retype_link(typed)],
    }


def guidance(
    verdict: str,
    evidence_codes: list[str],
    code_uri: str,
    resolver_base: str,
    card: dict[str, Any] | None,
    typed: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """The steps and links for one scan; None for a genuine item. `typed`: the code as typed by hand on
    the help page's form (the page only): a code that fails its check is then most likely mistyped."""
    if verdict == "genuine":  # the hot path's common answer: nothing to build
        return None
    if verdict == "counterfeit" and "unknown_product" in evidence_codes:
        return _not_registered(typed)
    if verdict == "counterfeit" and typed is not None and "check_failed" in evidence_codes:
        return {"steps": [_retype(typed)], "links": [_retype_link(typed)]}
    build = _BUILDERS.get(verdict)
    if build is None:
        return None
    name_zh, name_en = _importer(card)
    complain = _link(
        "complain", complaint_href(resolver_base, code_uri), "申请退款 / 投诉", "Claim a refund / complain"
    )
    return build(_Scan(name_zh, name_en, complain, evidence_codes))
