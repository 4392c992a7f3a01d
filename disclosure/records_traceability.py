"""Disclosure records from traceability's events: a declaration as operating information (经营信息)
and the enterprise's monthly totals, a failed inspection or a rejection, and a recall as regulatory
information (监管信息)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlmodel import Session

from core.clock import as_utc
from core.english import english_name, english_text
from core.events import Event
from core.money import Money
from disclosure import service
from disclosure.models import Category, Visibility
from disclosure.records import Builder, Record, base_fields, enterprise_of, products_of
from traceability.events import DeclarationChanged, DeclarationLinePayload, LotRecalled

DECL_STATUS_ZH = {"declared": "已申报", "inspected": "已查验", "released": "已放行", "rejected": "不予放行"}
DECL_STATUS_EN = {
    "declared": "declared",
    "inspected": "inspected",
    "released": "released",
    "rejected": "refused",
}


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
    ent = enterprise_of(session, d.enterprise_id)
    lines = d.lines
    value, currency = _value(lines)
    first = lines[0].product
    status_zh = DECL_STATUS_ZH.get(d.status, d.status)
    fields = base_fields(
        session,
        ent,
        Category.operating,
        _declared_at(d),
        event,
        title_zh=f"进口申报 {d.declaration_no}（{status_zh}）",
        title_en=f"Import declaration {d.declaration_no} ({DECL_STATUS_EN.get(d.status, d.status)})",
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
            **products_of([ln.product for ln in lines]),
        },
        origin_country=first.origin_country,
        hs_code=first.hs_code,
        product_category=first.category.value,
        visibility=Visibility.regulator.value,
    )
    return [(f"operating:declaration:{d.id}", fields)]


def _monthly(session: Session, event: Event[DeclarationChanged]) -> list[Record]:
    """Public monthly totals per enterprise, summed from its declaration records of that month."""
    ent = enterprise_of(session, event.data.enterprise_id)
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
    fields = base_fields(
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
    ent = enterprise_of(session, d.enterprise_id)
    return [
        (f"regulatory:inspection:{d.id}:{ln.line_no}", _failure(session, ent, d, ln, event)) for ln in failed
    ]


def _failure(
    session: Session, ent: dict[str, Any], d: DeclarationChanged, ln: DeclarationLinePayload, event: Event
) -> dict[str, Any]:
    product = ln.product
    tests = "、".join(ln.tests_performed) or "—"
    return base_fields(
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
            **products_of([product]),
        },
        origin_country=product.origin_country,
        hs_code=product.hs_code,
        product_category=product.category.value,
    )


def _rejection(session: Session, event: Event[DeclarationChanged]) -> list[Record]:
    """A declaration not released, as regulatory information."""
    d = event.data
    ent = enterprise_of(session, d.enterprise_id)
    lines = d.lines
    first = lines[0].product
    fields = base_fields(
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
            **products_of([ln.product for ln in lines]),
        },
        origin_country=first.origin_country,
        hs_code=first.hs_code,
        product_category=first.category.value,
    )
    return [(f"regulatory:rejection:{d.id}", fields)]


def _recall(session: Session, event: Event[LotRecalled]) -> list[Record]:
    p = event.data
    ent = enterprise_of(session, p.enterprise_id)
    fields = base_fields(
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
            **products_of([p]),
        },
        origin_country=p.origin_country,
        hs_code=p.hs_code,
        product_category=p.product_category.value if p.product_category else None,
    )
    return [(f"regulatory:recall:{p.line_id}", fields)]


# The event and the builders of its records, in the order they are written (disclosure/handlers.py).
DECLARATION: dict[str, tuple[Builder, ...]] = {
    "declaration.declared": (_declaration, _monthly),
    "declaration.inspected": (_declaration, _monthly, _inspection_failures),
    "declaration.released": (_declaration, _monthly),
    "declaration.rejected": (_declaration, _monthly, _rejection),
}
RECALL: dict[str, tuple[Builder, ...]] = {
    "lot.recalled": (_recall,),
}
