"""Disclosure records from credit's events: a credit record and the enterprise's grade (奖惩信息)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.english import english_name, english_text
from core.events import Event
from credit import service as credit
from credit.events import CreditRecordChanged, GradeChanged
from disclosure.models import Category
from disclosure.records import Builder, Record, base_fields, enterprise_of

GRADE_LISTS = {"red": ("红名单", "red list"), "black": ("黑名单", "black list")}


def _credit_record(session: Session, event: Event[CreditRecordChanged]) -> list[Record]:
    """Each credit record, published while its window is open; a repair or an upheld objection ends
    the publication at once."""
    r = credit.record_snapshot(session, event.data.id)  # now, not as the (maybe retried) event saw it
    ent = enterprise_of(session, r["enterprise_id"])
    kind = credit.kind_names(r["kind"])
    sev_zh = credit.SEVERITY_ZH.get(r["severity"], r["severity"])
    status_zh = credit.STATUS_ZH.get(r["status"], r["status"])
    sev_en = credit.SEVERITY_EN.get(r["severity"], r["severity"])
    status_en = credit.STATUS_EN.get(r["status"], r["status"])
    fields = base_fields(
        session,
        ent,
        Category.reward_punishment,
        datetime.fromisoformat(r["occurred_at"]),
        event,
        title_zh=f"信用记录（{sev_zh}）：{r['title_zh']}"[:300],
        title_en=f"Credit record ({sev_en}): {r['title_en'] or english_text(r['title_zh'])}"[:300],
        body_zh=f"{kind[0]}，信用记录 {r['id']}，状态：{status_zh}；依据 {r['evidence_ref'] or '—'}。",
        body_en=f"{kind[1]}, credit record {r['id']}, status: {status_en}; reference {english_text(r['evidence_ref']) or '-'}.",
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
    ent = enterprise_of(session, event.data.enterprise_id)
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
    fields = base_fields(
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


# The event and the builders of its records, in the order they are written (disclosure/handlers.py).
CREDIT_RECORD: dict[str, tuple[Builder, ...]] = {
    "credit.record_changed": (_credit_record,),
}
GRADE: dict[str, tuple[Builder, ...]] = {
    "credit.grade_changed": (_grade,),
}
