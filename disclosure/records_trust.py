"""Disclosure records from credit's pledges and tolerances (信用承诺制, 容错纠错).

- A pledge is disclosed as regulatory information (监管信息: it stands in a procedure's documents, which
  the zone's departments would otherwise have asked for), its record kept up to date as it is made,
  withdrawn or broken; a broken pledge is also reward-and-punishment information (奖惩信息: the breach,
  and the bar on pledging that follows it).
- A tolerance is regulatory information too, seen by regulators while it is open, submitted or
  corrected (a tolerated breach is not on the public record: that is what tolerance means), and public
  once it lapses, when the breach counts from its day as any record does.

Each builder reads the pledge or tolerance as it is now, not as the (maybe retried) event saw it, so a
late or repeated delivery writes the current state under the same key. Every title and body is in words
(the methodology's names for procedures and rules), never codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import as_utc
from core.english import english_name
from core.events import Event
from core.workdays import CHINA_TZ
from credit import methodology, pledges, tolerance
from credit import service as credit
from credit.trust_events import PledgeChanged, ToleranceChanged
from disclosure.models import Category, Visibility
from disclosure.records import Builder, Record, base_fields, enterprise_of

PLEDGE_STATUS = {
    "active": ("履约中", "in force"),
    "broken": ("已违诺", "broken"),
    "withdrawn": ("已撤回", "withdrawn"),
}
TOLERANCE_STATUS = {
    "open": ("容错整改中", "tolerated, being corrected"),
    "submitted": ("已提交整改，待监管部门确认", "correction submitted, awaiting the regulator"),
    "corrected": ("整改到位，不计入信用评价", "corrected in time: it leaves no mark on the grade"),
    "lapsed": (
        "逾期未整改，自违法之日起计入信用评价",
        "not corrected in time: it counts from the day of the breach",
    ),
}
SEVERITY_EN = {"minor": "minor", "general": "general", "serious": "serious"}


def _day(when: datetime | None) -> str:
    return as_utc(when).astimezone(CHINA_TZ).date().isoformat() if when else "—"


def _procedure(code: str) -> tuple[str, str]:
    p = methodology.current().trust.procedures.get(code)
    return (p.name_zh, p.name_en) if p else ("信用承诺事项", "a procedure that took a pledge")


def _pledge_record(session: Session, p: Any, ent: dict[str, Any], event: Event[Any]) -> Record:
    zh, en = _procedure(p.procedure)
    st_zh, st_en = PLEDGE_STATUS.get(p.status, ("", ""))
    name_en = english_name(ent["name_en"], ent["name_zh"])
    fields = base_fields(
        session,
        ent,
        Category.regulatory,
        p.signed_at,
        event,
        title_zh=f"信用承诺（{st_zh}）：{ent['name_zh']} 就「{zh}」作出承诺"[:300],
        title_en=f"Credit pledge ({st_en}): {name_en} pledged for {en}"[:300],
        body_zh=(
            f"以承诺代替证明材料，承诺内容：{p.obligations_zh}。承诺期至 {_day(p.ends_at)}；"
            f"平台签章摘要 {p.statement_sha256[:16]}。"
        )[:4000],
        body_en=(
            f"A pledge in place of the documents: {p.obligations_en or 'see the Chinese text'}. "
            f"In force until {_day(p.ends_at)}; the platform's sealed statement {p.statement_sha256[:16]}."
        )[:4000],
        fields={"pledge_id": p.id, "procedure": p.procedure, "status": p.status, "ends_at": _day(p.ends_at)},
    )
    return (f"regulatory:pledge:{p.id}", fields)


def _breach_record(session: Session, p: Any, ent: dict[str, Any], event: Event[Any]) -> Record:
    zh, en = _procedure(p.procedure)
    sev_zh = credit.SEVERITY_ZH.get(p.breach_severity, "")
    name_en = english_name(ent["name_en"], ent["name_zh"])
    fields = base_fields(
        session,
        ent,
        Category.reward_punishment,
        p.broken_at,
        event,
        title_zh=f"违背信用承诺（{sev_zh}）：{ent['name_zh']}「{zh}」承诺经核查未履行"[:300],
        title_en=f"Broken credit pledge ({SEVERITY_EN.get(p.breach_severity, '')}): {name_en}, {en}"[:300],
        body_zh=(
            f"核查情况：{p.breach_reason}。依评价方法，记入信用记录，"
            f"{_day(p.bars_until)} 前不得以承诺代替证明材料。"
        )[:4000],
        body_en=(
            "The pledge was found broken: a credit record as the methodology weighs it, and no pledges "
            f"in place of documents until {_day(p.bars_until)}."
        ),
        fields={"pledge_id": p.id, "severity": p.breach_severity, "bars_until": _day(p.bars_until)},
        publish_until=as_utc(p.bars_until) if p.bars_until else None,
    )
    return (f"reward_punishment:pledge_broken:{p.id}", fields)


def _pledge(session: Session, event: Event[PledgeChanged]) -> list[Record]:
    p = pledges.get(session, event.data.id)
    ent = enterprise_of(session, p.enterprise_id)
    out = [_pledge_record(session, p, ent, event)]
    if p.status == "broken":
        out.append(_breach_record(session, p, ent, event))
    return out


def _tolerance(session: Session, event: Event[ToleranceChanged]) -> list[Record]:
    t = tolerance.get(session, event.data.id)
    ent = enterprise_of(session, t.enterprise_id)
    rule = methodology.current().trust.tolerance.get(t.rule)
    rule_zh, rule_en = (rule.name_zh, rule.name_en) if rule else ("首次轻微违法", "a first minor breach")
    st_zh, st_en = TOLERANCE_STATUS.get(t.status, ("", ""))
    record = credit.record_snapshot(session, t.record_id)
    lapsed = t.status == "lapsed"
    fields = base_fields(
        session,
        ent,
        Category.regulatory,
        t.opened_at,
        event,
        title_zh=f"容错纠错（{st_zh}）：{ent['name_zh']} {rule_zh}"[:300],
        title_en=f"Tolerance ({st_en}): {english_name(ent['name_en'], ent['name_zh'])}, {rule_en}"[:300],
        body_zh=(
            f"{record['title_zh']}。按信用承诺限期 {_day(t.correct_by)} 前整改；"
            f"容错时信用等级 {t.grade_tolerated}，计入则为 {t.grade_counted}。"
        )[:4000],
        body_en=(
            f"To be corrected under the merchant's pledge by {_day(t.correct_by)}; its grade is "
            f"{t.grade_tolerated} with the breach tolerated, {t.grade_counted} with it counted."
        ),
        fields={"tolerance_id": t.id, "rule": t.rule, "status": t.status, "correct_by": _day(t.correct_by)},
        visibility=(Visibility.public if lapsed else Visibility.regulator).value,
    )
    return [(f"regulatory:tolerance:{t.id}", fields)]


# The event and the builders of its records, in the order they are written (disclosure/handlers.py).
PLEDGE: dict[str, tuple[Builder, ...]] = {"credit.pledge_changed": (_pledge,)}
TOLERANCE: dict[str, tuple[Builder, ...]] = {"credit.tolerance_changed": (_tolerance,)}
