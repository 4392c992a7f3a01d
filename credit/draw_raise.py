"""Which pending declarations the draw inspects above their grade's rate, and why (差别化监管): the black
list's own rate (`[supervision.lists]`: every declaration inspected) and the early warning's
(`[warning.draw]`: an enterprise, or a product on the declaration, at a warning level). The reason goes
into the draw's published inputs with the rate, so a replay gives the same selection and a regulator reads
why a declaration was drawn at that rate."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from credit import warning
from credit.methodology import Methodology
from credit.models import CreditStanding
from credit.standing import list_of
from traceability import scan_signals as scans

LEVEL_ZH = {"elevated": "关注", "high": "高风险"}
LEVEL_EN = {"elevated": "elevated", "high": "high"}


def _black(m: Methodology) -> dict[str, Any]:
    rate = m.list_rates["black"]
    return {
        "code": "black_list",
        "rate": rate,
        "zh": f"列入黑名单：按信用评价方法 supervision.lists.black 以 {rate:g} 的比例查验（逐票查验）",
        "en": f"On the black list: inspected at {rate:g} under the methodology's supervision.lists.black "
        "(every declaration)",
    }


def _warned(level: str, rate: float, signals: list[Any], product: warning.ProductWarning | None) -> dict:
    names_zh = "、".join(x.name_zh for x in signals)
    names_en = ", ".join(x.name_en.lower() for x in signals)
    if product is None:
        who_zh, who_en, code = "企业", "The enterprise", "warning_enterprise"
    else:
        who_zh = f"商品「{product.name_zh or product.gtin}」（GTIN {product.gtin}）"
        who_en = f"The product {product.name_en or product.name_zh or product.gtin} (GTIN {product.gtin})"
        code = "warning_product"
    return {
        "code": code,
        "rate": rate,
        "gtin": product.gtin if product else "",
        "zh": f"{who_zh}风险预警为{LEVEL_ZH[level]}（{names_zh}）：按 warning.draw.{level} 至少以 {rate:g} 的比例查验",
        "en": f"{who_en} is at {LEVEL_EN[level]} warning ({names_en}): inspected at {rate:g} at least, "
        f"under warning.draw.{level}",
    }


def raises(
    session: Session, m: Methodology, pending: list[dict], standings: dict[int, CreditStanding]
) -> dict[str, list[dict[str, Any]]]:
    """For each pending declaration number, the raised rates that apply to it with their reasons
    (none: its grade's rate)."""
    draw = warning.rules().draw
    ent_ids = sorted({p["enterprise_id"] for p in pending})
    found = {a.enterprise_id: a for a in warning.assess_all(session, enterprise_ids=ent_ids)} if draw else {}
    warned_products = any(a.products for a in found.values())
    gtins = (
        scans.declaration_gtins(session, [p["declaration_id"] for p in pending]) if warned_products else {}
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for p in pending:
        why: list[dict[str, Any]] = []
        s = standings.get(p["enterprise_id"])
        if (
            s is not None
            and "black" in m.list_rates
            and list_of(s.grade, s.explanation.get("capped_by")) == "black"
        ):
            why.append(_black(m))
        a = found.get(p["enterprise_id"])
        if a is not None and a.level in draw:
            why.append(_warned(a.level, draw[a.level], a.reasons, None))
        for prod in a.products if a is not None else []:
            if prod.level in draw and prod.gtin in gtins.get(p["declaration_id"], set()):
                why.append(_warned(prod.level, draw[prod.level], prod.reasons, prod))
        if why:
            out[p["declaration_no"]] = why
    return out
