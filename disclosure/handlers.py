"""How events of the other domains become disclosures. A new kind of event is one new handler here.

Every handler upserts by a record key, so an event delivered twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import as_utc
from core.events import Event, Handler, registry, subscribe
from core.identifiers import country_name
from core.money import Money
from credit import service as credit
from disclosure import service
from disclosure.models import PUBLICATION_WINDOWS, Category, Visibility
from disclosure.search.base import SearchBackend
from enterprises import service as enterprises

STATUS_ZH = {"active": "存续", "suspended": "暂停经营", "deregistered": "注销"}
DECL_STATUS_ZH = {"declared": "已申报", "inspected": "已查验", "released": "已放行", "rejected": "不予放行"}


def _enterprise(session: Session, enterprise_id: int) -> dict[str, Any]:
    profile = enterprises.public_profile(session, enterprise_id)
    if profile is None:
        raise LookupError(f"enterprise {enterprise_id} not found")
    return profile


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
        "grade": credit.grade_code(session, ent["id"]),
        **more,
    }


@subscribe("enterprise.registered", "disclosure.entity.registered")
@subscribe("enterprise.changed", "disclosure.entity.changed")
def entity(session: Session, event: Event) -> None:
    p = event.payload
    ent = _enterprise(session, p["enterprise_id"])
    status = STATUS_ZH.get(ent["status"], ent["status"])
    service.upsert(
        session,
        f"entity:{ent['id']}",
        _base(
            session,
            ent,
            Category.entity,
            event.created_at,
            event,
            title_zh=f"企业登记信息：{ent['name_zh']}",
            title_en=f"Registration: {ent['name_en'] or ent['name_zh']}",
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
        ),
        event.id,
    )


def _lines_text(lines: list[dict], lang: str) -> str:
    parts = []
    for ln in lines:
        name = (
            ln["product"]["name_zh"]
            if lang == "zh"
            else (ln["product"]["name_en"] or ln["product"]["name_zh"])
        )
        unit = "件" if lang == "zh" else "pcs"
        parts.append(
            f"{name}（{ln['lot']}，{ln['quantity']} {unit}）"
            if lang == "zh"
            else f"{name} (lot {ln['lot']}, {ln['quantity']} {unit})"
        )
    return ("；" if lang == "zh" else "; ").join(parts)


def _value(lines: list[dict]) -> tuple[int, str]:
    currencies = {ln["currency"] for ln in lines}
    currency = currencies.pop() if len(currencies) == 1 else "CNY"
    return sum(
        ln["unit_value_minor"] * ln["quantity"] for ln in lines if ln["currency"] == currency
    ), currency


@subscribe("declaration.declared", "disclosure.operating.declared")
@subscribe("declaration.inspected", "disclosure.operating.inspected")
@subscribe("declaration.released", "disclosure.operating.released")
@subscribe("declaration.rejected", "disclosure.operating.rejected")
def operating(session: Session, event: Event) -> None:
    """A declaration as operating information (regulators only: values are commercially sensitive),
    and the enterprise's public monthly totals."""
    d = event.payload
    ent = _enterprise(session, d["enterprise_id"])
    lines = d["lines"]
    value, currency = _value(lines)
    items = sum(ln["quantity"] for ln in lines)
    first = lines[0]["product"]
    status_zh = DECL_STATUS_ZH.get(d["status"], d["status"])
    declared = datetime.fromisoformat(d["declared_on"]).replace(tzinfo=None)
    from datetime import UTC

    when = declared.replace(tzinfo=UTC)
    service.upsert(
        session,
        f"operating:declaration:{d['id']}",
        _base(
            session,
            ent,
            Category.operating,
            when,
            event,
            title_zh=f"进口申报 {d['declaration_no']}（{status_zh}）",
            title_en=f"Import declaration {d['declaration_no']} ({d['status']})",
            body_zh=f"{ent['name_zh']} 经 {d['arrival_port']} 申报进口：{_lines_text(lines, 'zh')}。申报货值 {Money(value, currency).format('zh_CN')}。",
            body_en=f"Declared through {d['arrival_port']}: {_lines_text(lines, 'en')}. Declared value {Money(value, currency).format('en_US')}.",
            fields={
                "declaration_no": d["declaration_no"],
                "status": d["status"],
                "declared_value_minor": value,
                "currency": currency,
                "items": items,
                "lines": len(lines),
                "hs_codes": sorted({ln["product"]["hs_code"] for ln in lines}),
            },
            origin_country=first["origin_country"],
            hs_code=first["hs_code"],
            product_category=first["category"],
            visibility=Visibility.regulator.value,
        ),
        event.id,
    )
    _monthly(session, ent, when, event)
    if event.type == "declaration.inspected":
        for ln in lines:
            if ln.get("inspection_result") == "fail":
                _inspection_failure(session, ent, d, ln, event)
    if event.type == "declaration.rejected":
        service.upsert(
            session,
            f"regulatory:rejection:{d['id']}",
            _base(
                session,
                ent,
                Category.regulatory,
                event.created_at,
                event,
                title_zh=f"不予放行：进口申报 {d['declaration_no']}",
                title_en=f"Not released: import declaration {d['declaration_no']}",
                body_zh=f"原因：{d['decision_reason']}。涉及商品：{_lines_text(lines, 'zh')}。",
                body_en=f"Reason: {d['decision_reason']}. Goods: {_lines_text(lines, 'en')}.",
                fields={"declaration_no": d["declaration_no"], "reason": d["decision_reason"]},
                origin_country=first["origin_country"],
                hs_code=first["hs_code"],
                product_category=first["category"],
            ),
            event.id,
        )


def _monthly(session: Session, ent: dict[str, Any], when: datetime, event: Event) -> None:
    """Public monthly totals per enterprise, summed from its declaration records of that month."""
    month = when.strftime("%Y-%m")
    records = [
        r
        for r in service.by_keys_with_prefix(session, "operating:declaration:", ent["id"])
        if as_utc(r.occurred_at).strftime("%Y-%m") == month and r.fields.get("status") != "rejected"
    ]
    value = sum(r.fields.get("declared_value_minor", 0) for r in records if r.fields.get("currency") == "CNY")
    items = sum(r.fields.get("items", 0) for r in records)
    lines = sum(r.fields.get("lines", 0) for r in records)
    service.upsert(
        session,
        f"operating:monthly:{ent['id']}:{month}",
        _base(
            session,
            ent,
            Category.operating,
            when.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
            event,
            title_zh=f"{ent['name_zh']} {month} 月度进口申报汇总",
            title_en=f"{ent['name_en'] or ent['name_zh']}: import declarations in {month}",
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
        ),
        event.id,
    )


def _inspection_failure(session: Session, ent: dict[str, Any], d: dict, ln: dict, event: Event) -> None:
    product = ln["product"]
    tests = "、".join(ln.get("tests_performed") or []) or "—"
    service.upsert(
        session,
        f"regulatory:inspection:{d['id']}:{ln['line_no']}",
        _base(
            session,
            ent,
            Category.regulatory,
            event.created_at,
            event,
            title_zh=f"检验不合格：{product['name_zh']}（批次 {ln['lot']}）",
            title_en=f"Failed inspection: {product['name_en'] or product['name_zh']} (lot {ln['lot']})",
            body_zh=f"报关单 {d['declaration_no']} 第 {ln['line_no']} 项，检测项目：{tests}；检测报告 {ln.get('lab_report_ref') or '—'}。",
            body_en=f"Declaration {d['declaration_no']} line {ln['line_no']}; tests: {', '.join(ln.get('tests_performed') or []) or '-'}; report {ln.get('lab_report_ref') or '-'}.",
            fields={
                "declaration_no": d["declaration_no"],
                "line_no": ln["line_no"],
                "lot": ln["lot"],
                "gtin": ln["gtin"],
                "tests": ln.get("tests_performed") or [],
                "lab_report_ref": ln.get("lab_report_ref"),
            },
            origin_country=product["origin_country"],
            hs_code=product["hs_code"],
            product_category=product["category"],
        ),
        event.id,
    )


@subscribe("lot.recalled", "disclosure.regulatory.recall")
def recall(session: Session, event: Event) -> None:
    p = event.payload
    ent = _enterprise(session, p["enterprise_id"])
    service.upsert(
        session,
        f"regulatory:recall:{p['line_id']}",
        _base(
            session,
            ent,
            Category.regulatory,
            event.created_at,
            event,
            title_zh=f"召回：{p['product_name_zh']}（批次 {p['lot']}）",
            title_en=f"Recall: lot {p['lot']} of GTIN {p['gtin']}",
            body_zh=f"原因：{p['reason']}。报关单 {p['declaration_no']}。",
            body_en=f"Reason: {p['reason']}. Declaration {p['declaration_no']}.",
            fields={
                "gtin": p["gtin"],
                "lot": p["lot"],
                "reason": p["reason"],
                "recalled_by": p["recalled_by"],
            },
            origin_country=p.get("origin_country"),
            hs_code=p.get("hs_code"),
            product_category=p.get("product_category"),
        ),
        event.id,
    )


GRADE_LISTS = {"red": ("红名单", "red list"), "black": ("黑名单", "black list")}


@subscribe("credit.record_changed", "disclosure.reward_punishment.record")
def credit_record(session: Session, event: Event) -> None:
    """Each credit record, published while its window is open; a repair or an upheld objection ends
    the publication at once."""
    r = credit.record_snapshot(session, event.payload["id"])  # now, not as the (maybe retried) event saw it
    ent = _enterprise(session, r["enterprise_id"])
    kind = credit.kind_names(r["kind"])
    sev_zh = credit.SEVERITY_ZH.get(r["severity"], r["severity"])
    status_zh = credit.STATUS_ZH.get(r["status"], r["status"])
    service.upsert(
        session,
        f"reward_punishment:credit_record:{r['id']}",
        _base(
            session,
            ent,
            Category.reward_punishment,
            datetime.fromisoformat(r["occurred_at"]),
            event,
            title_zh=f"信用记录（{sev_zh}）：{r['title_zh']}"[:300],
            title_en=f"Credit record ({r['severity']}): {r['title_en'] or r['title_zh']}"[:300],
            body_zh=f"{kind[0]}，信用记录 {r['id']}，状态：{status_zh}；依据 {r['evidence_ref'] or '—'}。",
            body_en=f"{kind[1]}, credit record {r['id']}, status {r['status']}; reference {r['evidence_ref'] or '-'}.",
            fields={
                "credit_record_id": r["id"],
                "kind": r["kind"],
                "severity": r["severity"],
                "status": r["status"],
            },
            publish_until=datetime.fromisoformat(r["publish_until"]),
        ),
        event.id,
    )


@subscribe("credit.grade_changed", "disclosure.reward_punishment.grade")
def credit_grade(session: Session, event: Event) -> None:
    """The enterprise's grade as a public record (with red and black lists), and on all its records."""
    p = event.payload
    ent = _enterprise(session, p["enterprise_id"])
    current = credit.grade_of(session, ent["id"])  # a later change may have overtaken this event
    if current is None:
        return
    listed = current["list"]
    lst = GRADE_LISTS.get(listed or "")
    reasons_zh = "；".join(f"{r['name_zh']} {r['points']:+g} 分" for r in current["reasons"]) or "无扣分记录"
    reasons_en = "; ".join(f"{r['name_en']} {r['points']:+g}" for r in current["reasons"]) or "no deductions"
    service.upsert(
        session,
        f"reward_punishment:grade:{ent['id']}",
        _base(
            session,
            ent,
            Category.reward_punishment,
            datetime.fromisoformat(current["computed_at"]),
            event,
            title_zh=f"{ent['name_zh']} 信用等级 {current['grade']}（{current.get('grade_name_zh', '')}）"
            + (f"，列入{lst[0]}" if lst else ""),
            title_en=f"{ent['name_en'] or ent['name_zh']}: credit grade {current['grade']} "
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
        ),
        event.id,
    )
    service.set_enterprise_grade(session, ent["id"], current["grade"])


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

    def __call__(self, session: Session, event: Event) -> None:
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
